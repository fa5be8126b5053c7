import { resolve } from 'node:path';
import { existsSync } from 'node:fs';
import type { z } from 'zod';
import { takeSnapshot } from '../../snapshot/capture.js';
import { diffSnapshots, formatDifference, oneSided } from '../../snapshot/diff.js';
import { pickSnapshot, readSnapshotFile } from '../../snapshot/file.js';
import type { Snapshot } from '../../snapshot/model.js';
import { resolveSubject } from '../../model/snapshot.js';
import { takenNames, takenSnapshot } from '../../snapshot/store.js';
import { defineKind, type CheckContext } from '../../live/check.js';
import type { Outcome } from '../../model/check.js';
import { diffSchema, type Side } from './diff.schema.js';

type SideSpec = z.output<typeof Side>;

/** Differences listed in the evidence; the count says how many there were in all. */
const LISTED = 200;
const IN_MESSAGE = 3;

export const diff = defineKind({
  ...diffSchema,
  async attempt(c, ctx) {
    const spec = ctx.suite.snapshots?.[c.diff.snapshot];
    if (!spec)
      return { status: 'error', message: `no snapshot "${c.diff.snapshot}"`, evidence: {} };
    const sides: Snapshot[] = [];
    for (const side of [c.diff.left, c.diff.right]) {
      const got = await load(side, c.diff.snapshot, ctx);
      if ('status' in got) return got;
      sides.push(got);
    }
    const [left, right] = sides as [Snapshot, Snapshot];
    const ignore = [...spec.ignore, ...c.diff.ignore];
    const differences = diffSnapshots(left, right, ignore);
    const names: [string, string] = [label(c.diff.left, left), label(c.diff.right, right)];
    const lines = differences.map((d) => formatDifference(d, names));
    const incomplete = [...left.incomplete, ...right.incomplete];
    const evidence = {
      left: {
        subject: left.subject,
        takenAt: left.takenAt,
        entries: Object.keys(left.entries).length,
      },
      right: {
        subject: right.subject,
        takenAt: right.takenAt,
        entries: Object.keys(right.entries).length,
      },
      ...(ignore.length && { ignore }),
      differences: lines.slice(0, LISTED),
      ...(differences.length > LISTED && { differencesNotListed: differences.length - LISTED }),
      ...(incomplete.length && { incomplete }),
    };
    const partial = incomplete.length
      ? ` (and the snapshots are incomplete: ${incomplete.join('; ')})`
      : '';
    const more =
      differences.length > IN_MESSAGE ? `; … ${differences.length - IN_MESSAGE} more` : '';
    const listed = `${differences.length} difference${differences.length === 1 ? '' : 's'}: ${lines.slice(0, IN_MESSAGE).join('; ')}${more}${partial}`;
    const agree = `${names[0]} and ${names[1]} agree on ${Object.keys(left.entries).length} keys`;
    const unread = `the snapshots are incomplete: ${incomplete.join('; ')}`;
    if (c.expect.equal) {
      if (differences.length) return { status: 'failed', message: listed, evidence };
      if (incomplete.length)
        return {
          status: 'error',
          message: `no difference in what was read, but ${unread}`,
          evidence,
        };
      return { status: 'passed', message: agree, evidence };
    }
    // A key one side lacks may only be one an incomplete snapshot did not read.
    if (differences.length && (!incomplete.length || differences.some((d) => !oneSided(d))))
      return { status: 'passed', message: listed, evidence };
    if (incomplete.length)
      return {
        status: 'error',
        message: `${differences.length ? 'the only differences are keys one side lacks' : 'no difference in what was read'}, but ${unread}`,
        evidence,
      };
    return {
      status: 'failed',
      message: `${agree}; expected them to differ (expect: { equal: false })`,
      evidence,
    };
  },
});

/** One side's snapshot, or the outcome that ends the check when it cannot be had. */
async function load(side: SideSpec, name: string, ctx: CheckContext): Promise<Snapshot | Outcome> {
  const rt = ctx.runtime!;
  if (typeof side === 'string') {
    const subject = resolveSubject(rt.suite, side);
    if (typeof subject === 'string') return { status: 'error', message: subject, evidence: {} };
    return takeSnapshot(rt.suite.snapshots![name]!, subject, rt, { signal: ctx.signal });
  }
  if ('taken' in side) {
    const s = takenSnapshot(rt, side.taken);
    if (s) return s;
    const names = takenNames(rt);
    return {
      status: 'error',
      message: `no snapshot was taken as "${side.taken}" before this check (${names.length ? `taken: ${names.join(', ')}` : 'none taken yet'}); a scenario step \`snapshot: { take: ${name}, as: ${side.taken} }\` takes it`,
      evidence: {},
    };
  }
  const path = resolve(side.file);
  if (!existsSync(path))
    return {
      status: 'skipped',
      message: `no snapshot file ${side.file} here (an earlier job writes it; download its artifact first)`,
      evidence: {},
    };
  const s = pickSnapshot(readSnapshotFile(path), side.file, { name, subject: side.of });
  return typeof s === 'string' ? { status: 'error', message: s, evidence: {} } : s;
}

function label(side: SideSpec, s: Snapshot): string {
  if (typeof side === 'string') return s.subject;
  if ('taken' in side) return `${s.subject} (taken as ${side.taken})`;
  return `${s.subject} (${side.file})`;
}
