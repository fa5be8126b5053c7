import { resolve } from 'node:path';
import { UserError } from '../common/errors.js';
import type { Suite } from '../model/suite.js';
import { diffSnapshots, formatDifference } from '../snapshot/diff.js';
import { pickSnapshot, readSnapshotFile, writeSnapshotFile } from '../snapshot/file.js';
import type { Snapshot } from '../snapshot/model.js';
import type { Command } from './args.js';

type Print = (s: string) => void;

/** `stackcheck snapshot` runs the suite for its snapshots alone: no checks, no scenarios. */
export function snapshotsOnly(suites: Suite[]): Suite[] {
  return suites.map((s) => ({ ...s, checks: [], scenarios: [] }));
}

/** Writes the snapshots a run took and lists them; false when one of them is incomplete. */
export function writeSnapshots(
  file: string,
  suite: string,
  snapshots: Snapshot[],
  out: Print,
  err: Print,
): boolean {
  writeSnapshotFile(resolve(file), suite, snapshots);
  for (const s of snapshots) {
    out(`snapshot ${s.name} of ${s.subject}: ${Object.keys(s.entries).length} keys`);
    for (const why of s.incomplete) err(`  incomplete: ${why}`);
  }
  out(`${snapshots.length} snapshot${snapshots.length === 1 ? '' : 's'} written to ${file}`);
  return snapshots.every((s) => s.incomplete.length === 0);
}

/** Compares two snapshot files: 0 when they agree, 1 when they differ or either is incomplete. */
export function diffCommand(
  cmd: Extract<Command, { name: 'diff' }>,
  out: Print,
  err: Print,
): number {
  const pick = (path: string, of: string | undefined) => {
    const s = pickSnapshot(readSnapshotFile(path), path, { name: cmd.snapshot, subject: of });
    if (typeof s === 'string')
      throw new UserError({
        message: s,
        hint: 'Choose with --name and --left-of/--right-of.',
      });
    return s;
  };
  const left = pick(cmd.left, cmd.leftOf);
  const right = pick(cmd.right, cmd.rightOf);
  const names: [string, string] = [`${cmd.left}`, `${cmd.right}`];
  const differences = diffSnapshots(left, right, cmd.ignore);
  for (const d of differences) out(formatDifference(d, names));
  const incomplete = [...left.incomplete, ...right.incomplete];
  for (const why of incomplete) err(`incomplete: ${why}`);
  out(
    differences.length
      ? `${differences.length} difference${differences.length === 1 ? '' : 's'} between ${left.name} of ${left.subject} and ${right.name} of ${right.subject}`
      : `${left.name} of ${left.subject} and ${right.name} of ${right.subject} agree on ${Object.keys(left.entries).length} keys`,
  );
  return differences.length || incomplete.length ? 1 : 0;
}
