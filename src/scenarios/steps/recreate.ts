import type { Replica } from '../../model/refs.js';
import { errorMessage } from '../../common/errors.js';
import { engineMessage } from '../../engine/engine.js';
import { QUICK_CALL_MS } from '../../common/deadline.js';
import { LABEL } from '../../common/labels.js';
import { replicaRequest } from '../../orchestrator/replica-request.js';
import { stopWithGrace } from '../../orchestrator/stop.js';
import { NotBackError, waitBack, type Back } from '../../orchestrator/wait-back.js';
import { defineStep, type StepContext } from '../../live/step.js';
import { targets } from '../../live/targets.js';
import { recreateSchema } from './recreate.schema.js';
import { timeoutSignal } from '../../common/timeout.js';

/**
 * `recreate` replaces a service's containers as a redeploy does: each is stopped with its
 * grace period and removed, and a new one is created from the run's own plan (same name,
 * labels, networks and aliases, named volumes) and started; the step passes once the new one
 * is back. Later steps and checks act on it. Unlike `docker compose up --force-recreate`,
 * anonymous volumes are not carried over: what must survive lives in named volumes.
 */
export const recreate = defineStep({
  ...recreateSchema,
  async run(step, ctx) {
    const replicas = targets(step.recreate, ctx);
    const timeoutMs = step.recreate.timeout === undefined ? undefined : step.recreate.timeout.ms;
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
      const failed = errors.every((e) => e.error instanceof NotBackError);
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
  // One that runs without its GPU (`gpu: optional` on an engine without) is made so again.
  const withoutGpu = (await ctx.runtime.inspect(r, ctx.signal)).labels[LABEL.withoutGpu];
  // A frozen container cannot be stopped politely; its pause goes with it.
  await ctx.faults.heal(`pause:${r.containerId}`, 'a recreate step');
  await stopWithGrace(engine, r.containerId, sp.spec.stopGracePeriodMs, ctx.signal);
  await engine.removeContainer(r.containerId, ctx.signal);
  let id: string;
  try {
    // Not cut short by cancellation: teardown lists what exists once this step has settled,
    // so a container the engine creates is always found and removed.
    id = await engine.createContainer(
      replicaRequest(tp, sp, r.index, ctx.runtime.labels, withoutGpu),
      timeoutSignal(QUICK_CALL_MS),
    );
  } catch (e) {
    await ctx.runtime.replace(r, undefined);
    throw new Error(
      `the old container is removed, but no new one could be created: ${engineMessage(e)}`,
    );
  }
  await ctx.runtime.replace(r, id);
  const t0 = ctx.clock.now();
  try {
    await engine.startContainer(id, ctx.signal);
  } catch (e) {
    throw new Error(`the new container did not start: ${engineMessage(e)}`);
  }
  let back: Back;
  try {
    back = await waitBack(engine, id, {
      clock: ctx.clock,
      signal: ctx.signal,
      readyTimeoutMs: timeoutMs ?? tp.spec.waitTimeoutMs,
      stableMs: tp.spec.stableMs,
      changes: ctx.runtime.changes(r.topology),
      mustComplete: sp.mustComplete,
      healthcheck: sp.spec.healthcheck,
    });
  } catch (e) {
    if (e instanceof NotBackError) throw new NotBackError(`the new container ${e.message}`);
    throw e;
  }
  return {
    container: r.containerName,
    oldId: r.containerId.slice(0, 12),
    newId: id.slice(0, 12),
    back,
    backAfterMs: Math.round(ctx.clock.now() - t0),
  };
}
