import type { Replica } from './runtime.js';
import type { Outcome } from './types.js';

/**
 * Runs a probe against every replica of a service and combines the verdicts: all must pass,
 * or one when `any` is set. A single replica's outcome is returned as it is.
 */
export async function acrossReplicas(
  replicas: Replica[],
  any: boolean,
  probe: (r: Replica) => Promise<Outcome>,
): Promise<Outcome> {
  if (replicas.length === 0) return { status: 'error', message: 'the service has no running container', evidence: {} };
  if (replicas.length === 1) return probe(replicas[0]!);
  const outcomes = await Promise.all(replicas.map(probe));
  const passed = outcomes.filter((o) => o.status === 'passed').length;
  const ok = any ? passed > 0 : passed === outcomes.length;
  const worst = outcomes.find((o) => o.status === 'error') ?? outcomes.find((o) => o.status !== 'passed');
  const evidence = {
    replicas: outcomes.map((o, i) => ({ container: replicas[i]!.containerName, status: o.status, message: o.message, ...o.evidence })),
  };
  if (ok) return { status: 'passed', message: `${passed}/${outcomes.length} replicas passed`, evidence };
  const which = replicas[outcomes.indexOf(worst!)]!.containerName;
  return {
    status: worst!.status === 'error' && passed === 0 ? 'error' : 'failed',
    message: `${passed}/${outcomes.length} replicas passed${any ? ' (one needed)' : ''}; ${which}: ${worst!.message}`,
    evidence,
  };
}
