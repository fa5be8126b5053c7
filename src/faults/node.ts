import {
  DEFAULT_RESTART_ATTEMPTS,
  startTopology,
  stopTopology,
  type RestartService,
} from '../orchestrator/restart.js';
import { defineStep, type StepContext } from '../live/step.js';
import { restartService } from '../orchestrator/restart.js';
import { downSchema, upSchema } from './node.schema.js';

/*
 * A node fault: the machine goes away and comes back. `down` stops everything the run placed
 * on the node, dependents first (each with its grace period), as a shutdown does; `up` (or
 * healing, at the latest at the scenario's end) starts it again tier by tier, each tier once
 * the one before is back, as a boot does. Containers a `stop` step stopped stay stopped.
 */

const downId = (node: string) => `down:${node}`;

export const down = defineStep({
  ...downSchema,
  async run(step, ctx) {
    const node = step.down.node;
    const engine = ctx.runtime.engine(node);
    const userStopped = new Set(ctx.runtime.userStopped);
    const placed = ctx.suite.topologies
      .filter((t) => t.node === node)
      .map((t) => ({ topology: t, services: servicesOf(ctx, t.name) }));
    const reports = await Promise.all(
      placed.map((p) => stopTopology(engine, p.services, { signal: ctx.signal, userStopped })),
    );
    const stopped = reports.flatMap((r) => r.stopped);
    const longestWait = Math.max(0, ...placed.map((p) => p.topology.waitTimeoutMs));
    ctx.faults.add(
      {
        id: downId(node),
        kind: 'down',
        description: `node ${node} down (${stopped.length} containers stopped)`,
        mechanism: 'containers stopped, dependents first',
        // Every attempt of every tier may take the topology's wait timeout.
        healTimeoutMs: longestWait * (DEFAULT_RESTART_ATTEMPTS.backoffMs.length + 1) + 30_000,
        heal: async (signal) => {
          await Promise.all(
            placed.map((p) =>
              startTopology(engine, p.services, {
                clock: ctx.clock,
                signal,
                userStopped,
                attempts: DEFAULT_RESTART_ATTEMPTS,
                readyTimeoutMs: p.topology.waitTimeoutMs,
                stableMs: p.topology.stableMs,
                changes: ctx.runtime.changes(p.topology.name),
              }),
            ),
          );
        },
      },
      ctx.forMs,
    );
    return {
      status: 'passed',
      message: `node ${node} down: stopped ${stopped.length} containers, dependents first`,
      evidence: {
        stopped,
        tiers: Object.fromEntries(placed.map((p, i) => [p.topology.name, reports[i]!.tiers])),
      },
    };
  },
});

export const up = defineStep({
  ...upSchema,
  async run(step, ctx) {
    const node = step.up.node;
    const id = downId(node);
    // Like healing, bringing up a node that is up is harmless (a scenario's end may have healed it).
    if (!ctx.faults.list().some((f) => f.id === id))
      return { status: 'passed', message: `node ${node} is up (it was not down)`, evidence: {} };
    await ctx.faults.heal(id, 'an up step');
    const record = ctx.faults.healed.findLast((h) => h.id === id);
    if (record?.error)
      return {
        status: 'failed',
        message: `node ${node} did not come back: ${record.error}`,
        evidence: {},
      };
    return {
      status: 'passed',
      message: `node ${node} up: every service back, in dependency order`,
      evidence: {},
    };
  },
});

/** The topology's services with their replicas, in the tiers bring-up used. */
function servicesOf(ctx: StepContext, topology: string): RestartService[] {
  return ctx.runtime
    .plan(topology)
    .services.map((sp) => restartService(sp, ctx.runtime.replicas(`${topology}/${sp.spec.name}`)));
}
