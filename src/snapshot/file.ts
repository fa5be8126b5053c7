import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';
import { UserError } from '../common/errors.js';
import type { Snapshot } from './model.js';

/**
 * A snapshot file: what `stackcheck snapshot`, `run --snapshot` and the action's `snapshot`
 * input write, and what `stackcheck diff` and a diff check's `file:` side read — so a job
 * compares its state with one an earlier job uploaded as an artifact.
 */
export interface SnapshotFile {
  stackcheck: 'snapshots';
  version: 1;
  suite: string;
  snapshots: Snapshot[];
}

const Scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);
const Secret = z.strictObject({ secret: z.literal(true), digest: z.string() });
const Field = z.union([Secret, Scalar]);

const SnapshotFileSchema = z.strictObject({
  stackcheck: z.literal('snapshots'),
  version: z.literal(1),
  suite: z.string(),
  snapshots: z.array(
    z.strictObject({
      name: z.string(),
      subject: z.string(),
      takenAt: z.string(),
      matrix: z.record(z.string(), z.string()).optional(),
      entries: z.record(z.string(), z.union([Field, z.record(z.string(), Field)])),
      incomplete: z.array(z.string()),
    }),
  ),
});

export function writeSnapshotFile(path: string, suite: string, snapshots: Snapshot[]): void {
  const file: SnapshotFile = { stackcheck: 'snapshots', version: 1, suite, snapshots };
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(file, null, 1)}\n`);
}

export function readSnapshotFile(path: string): SnapshotFile {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    const missing = (e as NodeJS.ErrnoException).code === 'ENOENT';
    throw new UserError({
      message: missing
        ? `snapshot file ${path} does not exist`
        : `snapshot file ${path} is not JSON: ${(e as Error).message}`,
      hint: 'Snapshot files are written by `stackcheck snapshot --out FILE` or `stackcheck run --snapshot FILE`.',
    });
  }
  const parsed = SnapshotFileSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new UserError({
      message: `${path} is not a stackcheck snapshot file: ${issue.path.join('.') || 'top level'}: ${issue.message}`,
      hint: 'Snapshot files are written by `stackcheck snapshot --out FILE` or `stackcheck run --snapshot FILE`.',
    });
  }
  return parsed.data as SnapshotFile;
}

/** One snapshot of a file: the only one, or the one with this name (and subject). */
export function pickSnapshot(
  file: SnapshotFile,
  path: string,
  want: { name?: string; subject?: string },
): Snapshot | string {
  const found = file.snapshots.filter(
    (s) =>
      (want.name === undefined || s.name === want.name) &&
      (want.subject === undefined || s.subject === want.subject),
  );
  if (found.length === 1) return found[0]!;
  const list = file.snapshots.map((s) => `${s.name} of ${s.subject}`).join(', ') || 'none';
  const asked = [want.name && `named ${want.name}`, want.subject && `of ${want.subject}`]
    .filter(Boolean)
    .join(' ');
  return found.length
    ? `${path} holds several snapshots ${asked}: ${list}; say which with \`of\``
    : `${path} holds no snapshot ${asked} (it holds: ${list})`;
}
