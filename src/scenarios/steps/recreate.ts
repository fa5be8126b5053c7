import { parseDuration } from '../../common/duration.js';
import { errorMessage } from '../../common/errors.js';
import { duration } from '../../manifest/schema-parts.js';
import type { Replica } from '../../checks/runtime.js';
import { replicaRequest } from '../../orchestrator/replica-request.js';
import { waitBack, type Back } from '../../orchestrator/wait-back.js';
import { defineStep, type StepContext } from '../types.js';
import { serviceRef, targets, TargetSchema } from './target.js';

/** Time allowed beyond the grace period for the engine to report a stop. */
const STOP_SLACK_MS = 30_000;

/** The new container did not come back: the system's failure, not stackcheck's. */
class NotBack extends Error {}

/**
 * `recreate` replaces a service's containers as a redeploy does (`docker compose up
 * --force-recreate`): each is stopped with its grace period and removed, and a new one is
 * created from the run's own plan (same name, labels, networks and aliases, named volumes)
 * and started; the step passes once the new one is back. Later steps and checks act on it.
 */
export const recreate = defineStep({
  key: 'recreate',
  shape: {
    recreate: TargetSchema.extend({
      timeout: duration()
        .optional()
        .describe(
          "How long the new container may take to be back (healthy, or running and stable, or completed). Default: the topology's wait timeout.",
        ),
    }),
  },
  refs: serviceRef('recreate'),
  async run(step, ctx) {
    const replicas = targets(step.recreate, ctx);
    const timeoutMs =
      step.recreate.timeout === undefined ? undefined : parseDuration(step.recreate.timeout)!;
    const settled = await Promise.allSettled(replicas.map((r) => recreateOne(r, timeoutMs, ctx)));
    const done = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    const evidence = { recreated: done };
    const errors = settled.flatMap((s, i) =>
      s.status === 'rejected' ? [{ replica: replicas[i]!, error: s.reason as unknown }] : [],
    );
    if (errors.length) {
      const message = errors
        .map((e) => `${e.replica.containerName}: ${errorMessage(e.error)}`)
        .join('; ');
      // A new container that does not come back fails the step; an engine refusal is an error.
      const failed = errors.every((e) => e.error instanceof NotBack);
      return { status: failed ? 'failed' : 'error', message, evidence };
    }
    return {
      status: 'passed',
      message: `recreated ${done.map((d) => `${d.container} (${d.back} after ${d.backAfterMs} ms)`).join(', ')}`,
      evidence,
    };
  },
});

async function recreateOne(
  r: Replica,
  timeoutMs: number | undefined,
  ctx: StepContext,
): Promise<{ container: string; oldId: string; newId: string; back: Back; backAfterMs: number }> {
  const tp = ctx.runtime.plan(r.topology);
  const sp = tp.services.find((s) => s.spec.name === r.service)!;
  const engine = ctx.runtime.engine(r.node);
  // A frozen container cannot be stopped politely; its pause goes with it.
  await ctx.faults.heal(`pause:${r.containerId}`, 'a recreate step');
  const grace = (await engine.inspectContainer(r.containerId, ctx.signal)).stopTimeoutSec ?? 10;
  await engine.stopContainer(
    r.containerId,
    undefined,
    AbortSignal.any([ctx.signal, AbortSignal.timeout(grace * 1000 + STOP_SLACK_MS)]),
  );
  await engine.removeContainer(r.containerId, ctx.signal);
  const id = await engine.createContainer(
    replicaRequest(tp, sp, r.index, ctx.runtime.labels),
    ctx.signal,
  );
  // Followed from here on, so a failed start still leaves the runtime pointing at what exists.
  await ctx.runtime.replace(r, id, ctx.signal);
  const t0 = ctx.clock.now();
  await engine.startContainer(id, ctx.signal);
  let back: Back;
  try {
    back = await waitBack(engine, id, {
      clock: ctx.clock,
      signal: ctx.signal,
      readyTimeoutMs: timeoutMs ?? tp.spec.waitTimeoutMs,
      stableMs: tp.spec.stableMs,
      mustComplete: sp.mustComplete,
    });
  } catch (e) {
    if (ctx.signal.aborted) throw e;
    throw new NotBack(`the new container ${errorMessage(e)}`);
  }
  return {
    container: r.containerName,
    oldId: r.containerId.slice(0, 12),
    newId: id.slice(0, 12),
    back,
    backAfterMs: Math.round(ctx.clock.now() - t0),
  };
}
