import {
  DEFAULT_RESTART_ATTEMPTS,
  RestartFailure,
  restartTopology,
  restartService,
  type RestartReport,
  type RestartService,
} from '../../orchestrator/restart.js';
import { retryPolicy } from '../../common/retry.js';
import { defineStep, type StepContext } from '../../live/step.js';
import { targets } from '../../live/targets.js';
import { restartSchema, type Restart } from './restart.schema.js';

/**
 * `restart: { service }` restarts one service's containers and `restart: { topology }`
 * everything in it in dependency order; either passes once what it restarted is back, with a
 * bound on attempts (see orchestrator/restart.ts), and fails naming each attempt when a
 * service does not come back.
 */
export const restart = defineStep({
  ...restartSchema,
  async run(step, ctx) {
    const r = step.restart;
    if (r.topology !== undefined) {
      const name = r.topology;
      // The same dependency tiers as bring-up, from the same planner.
      const services = ctx.runtime
        .plan(name)
        .services.map((sp) => restartService(sp, ctx.runtime.replicas(`${name}/${sp.spec.name}`)));
      return restartIn(r, name, services, ctx.runtime.userStopped, `topology ${name}`, ctx);
    }
    const replicas = targets({ service: r.service!, replica: r.replica }, ctx);
    const { topology, service } = replicas[0]!;
    const sp = ctx.runtime.plan(topology).services.find((x) => x.spec.name === service)!;
    try {
      // Named explicitly: restarted even when a `stop` step stopped it.
      return await restartIn(r, topology, [restartService(sp, replicas)], new Set(), service, ctx);
    } finally {
      for (const x of replicas) ctx.runtime.userStopped.delete(x.containerId);
    }
  },
});

async function restartIn(
  r: Restart,
  name: string,
  services: RestartService[],
  userStopped: ReadonlySet<string>,
  what: string,
  ctx: StepContext,
) {
  const topology = ctx.suite.topologies.find((t) => t.name === name)!;
  const attempts = retryPolicy(
    r.backoff?.map((d) => d.ms) ?? DEFAULT_RESTART_ATTEMPTS.backoffMs,
    r.attempts,
  );
  try {
    const report = await restartTopology(ctx.runtime.engine(topology.node), services, {
      clock: ctx.clock,
      signal: ctx.signal,
      userStopped,
      attempts,
      readyTimeoutMs: r.timeout === undefined ? topology.waitTimeoutMs : r.timeout.ms,
      stableMs: topology.stableMs,
      changes: ctx.runtime.changes(name),
    });
    const message = describe(what, report, r.topology !== undefined);
    return { status: 'passed' as const, message, evidence: { ...report } };
  } catch (e) {
    if (!(e instanceof RestartFailure)) throw e;
    return {
      status: 'failed' as const,
      message: `restarting ${what}: ${e.message}`,
      evidence: {
        ...e.report,
        failed: {
          service: e.service,
          container: e.container,
          attempts: e.failures.map((f) => f.message),
        },
      },
    };
  }
}

/** What was restarted: a topology's services in tier order, a service's containers. */
function describe(what: string, report: RestartReport, byTier: boolean): string {
  const order = byTier
    ? report.tiers.map((t) => t.join(' + ')).join(' → ')
    : report.started.map((s) => `${s.container} (${s.back})`).join(', ');
  const retried = report.started.filter((s) => s.attempts > 1);
  const skipped = [...new Set(report.skipped.map((s) => s.service))];
  return (
    `restarted ${what}: ${order || 'nothing to restart'}` +
    (retried.length
      ? `; ${retried.map((s) => `${s.container} came back on attempt ${s.attempts}`).join(', ')}`
      : '') +
    (skipped.length ? `; left stopped (stopped by a \`stop\` step): ${skipped.join(', ')}` : '')
  );
}
