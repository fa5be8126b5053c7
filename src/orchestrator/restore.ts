import { errorMessage } from '../common/errors.js';
import type { ContainerState, Engine } from '../engine/engine.js';
import { QUICK_CALL_MS } from '../common/deadline.js';
import { LABEL } from '../common/labels.js';
import { timeoutSignal, withTimeout } from '../common/timeout.js';

/*
 * An attached stack ends as it was found. When a topology is attached with `allow:`, the ids of
 * its containers found running are recorded on their own engine, before any scenario runs, in
 * a volume that carries the run's labels. Every teardown path (the run's own, `stackcheck
 * down`, the action's post step, a later run's sweep) goes through teardownRun, which restores
 * from these records before it removes what the run created (the record included): paused
 * containers are unpaused and stopped ones started again, with their ids unchanged. Only the
 * recorded containers are ever touched.
 */

const ROLE = 'restore';
/** How long a container the engine is restarting (its restart policy after a crash) is given to settle. */
const RESTARTING_MS = 30_000;
const POLL_MS = 200;

/** Records the attached topology's running containers, so they are running again at the end. */
export async function recordAttached(
  engine: Engine,
  runLabels: Record<string, string>,
  topology: string,
  ids: string[],
  signal: AbortSignal,
): Promise<void> {
  const runId = runLabels[LABEL.run]!;
  await engine.createVolume(
    {
      name: `sc-${runId}-${topology}-restore`.toLowerCase(),
      spec: {
        name: 'restore',
        driverOpts: {},
        labels: {},
        external: false,
        pos: { file: '', line: 0, column: 0 },
      },
      labels: {
        ...runLabels,
        [LABEL.topology]: topology,
        [LABEL.role]: ROLE,
        [LABEL.restore]: ids.join(','),
      },
    },
    withTimeout(signal, QUICK_CALL_MS),
  );
}

export interface RestoreReport {
  /** What was done: "started web-1 again (it was exited)", "unpaused db-1". */
  restored: string[];
  /** Containers that could not be restored, and why. */
  errors: string[];
}

/** Puts every container a run recorded back to running; never throws. */
export async function restoreAttached(engine: Engine, runId: string): Promise<RestoreReport> {
  const report: RestoreReport = { restored: [], errors: [] };
  let ids: string[];
  try {
    const records = await engine.listVolumes(
      { [LABEL.run]: runId, [LABEL.role]: ROLE },
      timeoutSignal(QUICK_CALL_MS),
    );
    ids = [
      ...new Set(
        records.flatMap((r) => (r.labels[LABEL.restore] ?? '').split(',').filter(Boolean)),
      ),
    ];
  } catch (e) {
    report.errors.push(`listing the attached containers to restore: ${errorMessage(e)}`);
    return report;
  }
  await Promise.all(
    ids.map(async (id) => {
      try {
        const done = await restoreOne(engine, id);
        if (done) report.restored.push(done);
      } catch (e) {
        report.errors.push(`restoring attached container ${id.slice(0, 12)}: ${errorMessage(e)}`);
      }
    }),
  );
  report.restored.sort();
  return report;
}

async function restoreOne(engine: Engine, id: string): Promise<string | undefined> {
  const signal = timeoutSignal(QUICK_CALL_MS + RESTARTING_MS);
  let s = await engine.inspectContainer(id, signal);
  // A restart policy at work after a crash: let it finish rather than race it with a start.
  for (const until = Date.now() + RESTARTING_MS; s.status === 'restarting' && Date.now() < until;) {
    await new Promise((r) => setTimeout(r, POLL_MS));
    s = await engine.inspectContainer(id, signal);
  }
  if (s.status === 'paused') {
    await engine.unpauseContainer(id, signal);
    return `unpaused ${s.name}`;
  }
  if (isStopped(s)) {
    await engine.startContainer(id, signal);
    return `started ${s.name} again (it was ${s.status}${s.status === 'exited' ? `, exit code ${s.exitCode}` : ''})`;
  }
  return undefined;
}

function isStopped(s: ContainerState): boolean {
  return s.status === 'exited' || s.status === 'created' || s.status === 'dead';
}
