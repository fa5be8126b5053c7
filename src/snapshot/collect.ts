import type { Runtime } from '../live/runtime.js';
import { errorMessage, UserError } from '../common/errors.js';
import type { Suite } from '../model/suite.js';
import { takeSnapshot } from './capture.js';
import type { Snapshot } from './model.js';
import { resolveSubject } from '../model/snapshot.js';

/**
 * Every `snapshots:` entry of a suite, taken of each of its `of:` subjects (default: every node
 * the suite's topologies are on), for `stackcheck snapshot` and `run --snapshot`. Never
 * throws, so teardown always follows: what could not be taken is a snapshot marked incomplete.
 */
export async function takeAll(rt: Runtime, signal?: AbortSignal): Promise<Snapshot[]> {
  const suite = rt.suite;
  const nodes = [...new Set(suite.topologies.map((t) => t.node))];
  const out: Snapshot[] = [];
  for (const spec of Object.values(suite.snapshots ?? {})) {
    for (const of of spec.of ?? nodes) {
      try {
        const subject = resolveSubject(suite, of);
        if (typeof subject === 'string') throw new Error(subject);
        out.push(await takeSnapshot(spec, subject, rt, { signal }));
      } catch (e) {
        out.push({
          name: spec.name,
          subject: of,
          takenAt: new Date().toISOString(),
          entries: {},
          incomplete: [`${of}: ${errorMessage(e)}`],
        });
      }
    }
  }
  return out;
}

/** A manifest without `snapshots:` has nothing to take: say so before anything starts. */
export function requireSnapshots(suites: Suite[]): void {
  const s = suites[0];
  if (s && !Object.keys(s.snapshots ?? {}).length)
    throw new UserError({
      message: `${s.file} defines no snapshots`,
      hint: 'Add a `snapshots:` section naming what to capture (see docs/manifest.md#snapshots).',
    });
}
