import { z } from 'zod';
import { parseDuration } from '../../common/duration.js';
import { duration, retryAttempts } from '../../manifest/schema-parts.js';
import type { RefScope } from '../../checks/refs.js';
import {
  DEFAULT_RESTART_ATTEMPTS,
  RestartFailure,
  restartTopology,
  type RestartReport,
} from '../../orchestrator/restart.js';
import { retryPolicy } from '../../orchestrator/retry.js';
import { defineStep, type StepContext } from '../types.js';
import { targets } from './target.js';

const RestartSchema = retryAttempts('each service (stopped, started, waited for)', {
  backoff: ['1s', '2s'],
}).extend({
  service: z
    .string()
    .optional()
    .describe('Restart one service: topology/service (topology may be left out when unique).'),
  replica: z
    .number()
    .int()
    .min(1)
    .optional()
    .describe('With `service`: only this replica (1-based); default: all.'),
  topology: z
    .string()
    .optional()
    .describe(
      'Restart a whole topology: stopped dependents first, started tier by tier (databases before the apps that need them), each tier once the one before is healthy or running. Containers a `stop` step stopped stay stopped.',
    ),
  timeout: duration()
    .optional()
    .describe(
      "With `topology`: how long each attempt of a service may take to be back. Default: the topology's wait timeout.",
    ),
});
type Restart = z.output<typeof RestartSchema>;

/**
 * `restart: { service }` stops and starts one service's containers; `restart: { topology }`
 * restarts everything in it in dependency order, with a bound on attempts (see
 * orchestrator/restart.ts), and fails naming each attempt when a service does not come back.
 */
export const restart = defineStep({
  key: 'restart',
  shape: { restart: RestartSchema },
  refs: (s) =>
    s.restart.service === undefined
      ? []
      : [{ ref: s.restart.service, path: ['restart', 'service'] }],
  problems: (s, suite) => restartProblems(s.restart, suite),
  async run(step, ctx) {
    const r = step.restart;
    if (r.topology !== undefined) return restartWhole(r, r.topology, ctx);
    const replicas = targets({ service: r.service!, replica: r.replica }, ctx);
    await Promise.all(
      replicas.map(async (rep) => {
        const engine = ctx.runtime.engine(rep.node);
        await engine.stopContainer(rep.containerId, undefined, ctx.signal);
        await engine.startContainer(rep.containerId, ctx.signal);
        // Named explicitly: the user wants it running again.
        ctx.runtime.userStopped.delete(rep.containerId);
      }),
    );
    return {
      status: 'passed',
      message: `restarted ${replicas.map((x) => x.containerName).join(', ')}`,
      evidence: {},
    };
  },
});

function restartProblems(r: Restart, suite: RefScope) {
  const out: { message: string; path: (string | number)[] }[] = [];
  if ((r.service === undefined) === (r.topology === undefined)) {
    out.push({
      message:
        'name either `service` (restart one service) or `topology` (restart all of it in dependency order)',
      path: ['restart'],
    });
    return out;
  }
  if (r.topology !== undefined) {
    if (
      !suite.topologies.some((t) => t.name === r.topology) &&
      !suite.unloaded?.includes(r.topology)
    )
      out.push({
        message: `no topology "${r.topology}" (topologies: ${suite.topologies.map((t) => t.name).join(', ')})`,
        path: ['restart', 'topology'],
      });
    if (r.replica !== undefined)
      out.push({
        message: '`replica` goes with `service`, not `topology`',
        path: ['restart', 'replica'],
      });
    return out;
  }
  for (const key of ['attempts', 'backoff', 'timeout'] as const)
    if (r[key] !== undefined)
      out.push({
        message: `\`${key}\` goes with \`topology\`; a single service restarts once`,
        path: ['restart', key],
      });
  return out;
}

async function restartWhole(r: Restart, name: string, ctx: StepContext) {
  const topology = ctx.suite.topologies.find((t) => t.name === name)!;
  // The same dependency tiers as bring-up, from the same planner.
  const tp = ctx.runtime.plan(name);
  const services = tp.services.map((sp) => ({
    name: sp.spec.name,
    tier: sp.tier,
    mustComplete: sp.mustComplete,
    stopGraceMs: sp.spec.stopGracePeriodMs,
    containers: ctx.runtime
      .replicas(`${name}/${sp.spec.name}`)
      .map((x) => ({ id: x.containerId, name: x.containerName })),
  }));
  const attempts = retryPolicy(
    r.backoff?.map((d) => parseDuration(d)!) ?? DEFAULT_RESTART_ATTEMPTS.backoffMs,
    r.attempts,
  );
  try {
    const report = await restartTopology(ctx.runtime.engine(topology.node), services, {
      clock: ctx.clock,
      signal: ctx.signal,
      userStopped: ctx.runtime.userStopped,
      attempts,
      readyTimeoutMs: r.timeout === undefined ? topology.waitTimeoutMs : parseDuration(r.timeout)!,
      stableMs: topology.stableMs,
    });
    return { status: 'passed' as const, message: describe(name, report), evidence: { ...report } };
  } catch (e) {
    if (!(e instanceof RestartFailure)) throw e;
    return {
      status: 'failed' as const,
      message: `restarting topology ${name}: ${e.message}`,
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

function describe(name: string, report: RestartReport): string {
  const order = report.tiers.map((t) => t.join(' + ')).join(' → ');
  const retried = report.started.filter((s) => s.attempts > 1);
  const skipped = [...new Set(report.skipped.map((s) => s.service))];
  return (
    `restarted topology ${name}: ${order || 'nothing to restart'}` +
    (retried.length
      ? `; ${retried.map((s) => `${s.container} came back on attempt ${s.attempts}`).join(', ')}`
      : '') +
    (skipped.length ? `; left stopped (stopped by a \`stop\` step): ${skipped.join(', ')}` : '')
  );
}
