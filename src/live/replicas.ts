import type { Replica } from '../model/refs.js';
import type { Outcome } from '../model/check.js';

/**
 * Runs a probe against every replica of a service and combines the verdicts: all must pass,
 * or one when `any` is set. A single replica's outcome is returned as it is.
 */
export async function acrossReplicas(
  replicas: Replica[],
  any: boolean,
  probe: (r: Replica) => Promise<Outcome>,
): Promise<Outcome> {
  if (replicas.length === 0)
    return { status: 'error', message: 'the service has no running container', evidence: {} };
  if (replicas.length === 1) return probe(replicas[0]!);
  const outcomes = await Promise.all(replicas.map(probe));
  const evidenceAll = () => ({
    replicas: outcomes.map((o, i) => ({
      container: replicas[i]!.containerName,
      status: o.status,
      message: o.message,
      ...o.evidence,
    })),
  });
  // A replica that could not be judged (no GPU tool, say) neither passes nor fails the service.
  const judged = outcomes.filter((o) => o.status !== 'skipped');
  if (judged.length === 0)
    return { status: 'skipped', message: outcomes[0]!.message, evidence: evidenceAll() };
  const passed = judged.filter((o) => o.status === 'passed').length;
  const ok = any ? passed > 0 : passed === judged.length;
  const worst =
    judged.find((o) => o.status === 'error') ?? judged.find((o) => o.status !== 'passed');
  const evidence = evidenceAll();
  const skipped = outcomes.length - judged.length;
  const note = skipped ? ` (${skipped} could not be judged)` : '';
  if (ok)
    return {
      status: 'passed',
      message: `${passed}/${judged.length} replicas passed${note}`,
      evidence,
    };
  const which = replicas[outcomes.indexOf(worst!)]!.containerName;
  return {
    status: judged.every((o) => o.status === 'error') ? 'error' : 'failed',
    message: `${passed}/${judged.length} replicas passed${any ? ' (one needed)' : ''}${note}; ${which}: ${worst!.message}`,
    evidence,
  };
}
