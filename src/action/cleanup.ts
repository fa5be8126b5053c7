import { errorMessage } from '../common/errors.js';
import { connect, type EngineFactory } from '../engine/connect.js';
import type { NodeSpec } from '../model/suite.js';
import { sweep } from '../orchestrator/sweep.js';
import type { SavedState } from './state.js';

export interface CleanupLog {
  info(text: string): void;
  warning(text: string): void;
}

export interface CleanupReport {
  /** Runs whose resources were removed, with what was removed. */
  removed: {
    node: string;
    runId: string;
    suite: string;
    stale: boolean;
    containers: number;
    networks: number;
    volumes: number;
  }[];
  /** Problems met; cleanup never fails the job for them. */
  problems: string[];
}

/**
 * The post step's work, safe to run any number of times: on every engine main used, remove
 * every run main started (kept ones too: `keep-up` keeps a topology for the job's later
 * steps, not beyond the job), then sweep the stale runs of earlier jobs whose process died
 * on this host (a runner killed before its post step). A live run of another job is never
 * touched: its owner process is alive, or it belongs to another host.
 */
export async function cleanup(
  state: SavedState | undefined,
  log: CleanupLog,
  factory?: EngineFactory,
): Promise<CleanupReport> {
  const report: CleanupReport = { removed: [], problems: [] };
  // Without state (main never got far), the engine DOCKER_HOST names, as the default node.
  const nodes: NodeSpec[] = state?.nodes.length ? state.nodes : [{ name: 'local', labels: [] }];
  const ours = new Set((state?.runs ?? []).map((r) => r.runId));
  for (const node of nodes) {
    let engine;
    try {
      let notes: string[];
      ({ engine, notes } = await connect(node, factory));
      for (const n of notes) log.warning(n);
    } catch (e) {
      const msg = `node ${node.name}: ${errorMessage(e)}`;
      report.problems.push(msg);
      log.warning(`cleanup skipped ${msg}`);
      continue;
    }
    try {
      const found = [
        ...(await Promise.all([...ours].map((runId) => sweep(engine, { runId })))).flat(),
        ...(await sweep(engine, { stale: true })),
      ];
      for (const { run, report: r } of found) {
        const mine = ours.has(run.runId);
        report.removed.push({
          node: node.name,
          runId: run.runId,
          suite: run.suite,
          stale: !mine,
          containers: r.containers,
          networks: r.networks,
          volumes: r.volumes,
        });
        log.info(
          `node ${node.name}: removed ${mine ? 'this job’s' : 'stale'} run ${run.runId} (suite ${run.suite}): ` +
            `${r.containers} containers, ${r.networks} networks, ${r.volumes} volumes`,
        );
        for (const x of r.restored ?? [])
          log.info(`node ${node.name}: attached stack left as found: ${x}`);
        for (const e of r.errors) {
          report.problems.push(e);
          log.warning(`node ${node.name}: could not remove ${e}`);
        }
      }
    } catch (e) {
      const msg = `node ${node.name}: ${errorMessage(e)}`;
      report.problems.push(msg);
      log.warning(`cleanup: ${msg}`);
    } finally {
      await engine.close();
    }
  }
  if (!report.removed.length && !report.problems.length) log.info('nothing left to remove');
  return report;
}
