import type { Engine } from '../engine/engine.js';
import { QUICK_CALL_MS } from '../common/deadline.js';
import { teardownRun, type TeardownReport } from './down.js';
import { isStale } from './identity.js';
import { LABEL } from '../common/labels.js';
import { timeoutSignal } from '../common/timeout.js';

export interface RunOnEngine {
  runId: string;
  suite: string;
  labels: Record<string, string>;
  stale: boolean;
}

/** Every stackcheck run that has anything on this engine, found by label alone. */
export async function findRuns(engine: Engine, now = Date.now()): Promise<RunOnEngine[]> {
  const filter = { [LABEL.run]: true } as const;
  const signal = timeoutSignal(QUICK_CALL_MS);
  const resources = (
    await Promise.all([
      engine.listContainers(filter, signal),
      engine.listNetworks(filter, signal),
      engine.listVolumes(filter, signal),
    ])
  ).flat();
  const runs = new Map<string, RunOnEngine>();
  for (const r of resources) {
    const runId = r.labels[LABEL.run]!;
    if (!runs.has(runId)) {
      runs.set(runId, {
        runId,
        suite: r.labels[LABEL.suite] ?? '',
        labels: r.labels,
        stale: isStale(r.labels, now),
      });
    }
  }
  return [...runs.values()];
}

export type SweepSelection = { stale: true } | { runId: string } | { all: true };

/** Tears down the selected runs on one engine; what is not selected is never touched. */
export async function sweep(
  engine: Engine,
  selection: SweepSelection,
): Promise<{ run: RunOnEngine; report: TeardownReport }[]> {
  const runs = (await findRuns(engine)).filter((r) =>
    'all' in selection ? true : 'runId' in selection ? r.runId === selection.runId : r.stale,
  );
  return Promise.all(
    runs.map(async (run) => ({ run, report: await teardownRun(engine, run.runId) })),
  );
}
