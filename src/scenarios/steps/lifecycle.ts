import { formatDuration } from '../../common/duration.js';
import { LABEL } from '../../common/labels.js';
import { ENGINE_DEFAULT_GRACE_MS, stopWithGrace } from '../../orchestrator/stop.js';
import { defineStep } from '../../live/step.js';
import { measureStop } from './stop-events.js';
import { targets } from '../../live/targets.js';
import { crashSchema, killSchema, startSchema, stopSchema } from './lifecycle.schema.js';

export const stop = defineStep({
  ...stopSchema,
  async run(step, ctx) {
    const overrideMs = step.stop.timeout === undefined ? undefined : step.stop.timeout.ms;
    const replicas = targets(step.stop, ctx);
    const results = await Promise.all(
      replicas.map(async (r) => {
        const engine = ctx.runtime.engine(r.node);
        const state = await engine.inspectContainer(r.containerId, ctx.signal);
        const graceMs =
          overrideMs ??
          (state.stopTimeoutSec === undefined
            ? ENGINE_DEFAULT_GRACE_MS
            : state.stopTimeoutSec * 1000);
        const measured = await measureStop(
          engine,
          r,
          ctx.runtime.serviceFilter(r),
          ctx.signal,
          () => stopWithGrace(engine, r.containerId, graceMs, ctx.signal),
        );
        // On purpose: a topology restart leaves it stopped until a `start` step.
        ctx.runtime.userStopped.add(r.containerId);
        return {
          replica: r.containerName,
          configuredGraceS: graceMs / 1000,
          stopSignal: state.stopSignal ?? 'SIGTERM',
          ...measured,
        };
      }),
    );
    const evidence = { containers: results };
    const want = step.expect?.graceAtLeast;
    if (want !== undefined) {
      const wantMs = want.ms;
      for (const r of results) {
        if (r.configuredGraceS * 1000 < wantMs) {
          return {
            status: 'failed',
            message: `${r.replica} is configured with a ${r.configuredGraceS}s grace period, less than ${want}`,
            evidence,
          };
        }
        if (r.killedAfterMs !== undefined && r.killedAfterMs < wantMs) {
          return {
            status: 'failed',
            message: `${r.replica} was killed ${formatDuration(r.killedAfterMs)} after ${r.stopSignal}, before ${want}`,
            evidence,
          };
        }
      }
    }
    const how = results.map((r) => {
      const since = r.from === 'request' ? 'the stop request' : r.stopSignal;
      if (r.killedAfterMs !== undefined)
        return `${r.replica} killed ${formatDuration(r.killedAfterMs)} after ${since}`;
      if (r.exitedAfterMs !== undefined)
        return `${r.replica} exited ${formatDuration(r.exitedAfterMs)} after ${since}`;
      return `${r.replica} stopped (the engine reported neither its signal nor its exit)`;
    });
    return { status: 'passed', message: how.join('; '), evidence };
  },
});

export const start = defineStep({
  ...startSchema,
  async run(step, ctx) {
    const replicas = targets(step.start, ctx);
    await Promise.all(
      replicas.map(async (r) => {
        await ctx.runtime.engine(r.node).startContainer(r.containerId, ctx.signal);
        ctx.runtime.userStopped.delete(r.containerId);
      }),
    );
    return {
      status: 'passed',
      message: `started ${replicas.map((r) => r.containerName).join(', ')}`,
      evidence: {},
    };
  },
});

export const kill = defineStep({
  ...killSchema,
  async run(step, ctx) {
    const replicas = targets(step.kill, ctx);
    await Promise.all(
      replicas.map((r) =>
        ctx.runtime.engine(r.node).killContainer(r.containerId, step.kill.signal, ctx.signal),
      ),
    );
    return {
      status: 'passed',
      message: `sent ${step.kill.signal} through the engine to ${replicas.map((r) => r.containerName).join(', ')} (a manual stop: restart policies do not apply)`,
      evidence: {},
    };
  },
});

/**
 * A crash as the kernel would cause it: SIGKILL to the container's main process from the
 * host's process namespace (a short-lived helper container), so the engine sees the process
 * die on its own and applies the restart policy, unlike a kill through the API.
 */
export const crash = defineStep({
  ...crashSchema,
  async run(step, ctx) {
    const replicas = targets(step.crash, ctx);
    const evidence = await Promise.all(
      replicas.map(async (r) => {
        const engine = ctx.runtime.engine(r.node);
        const { pid, restartCount } = await engine.inspectContainer(r.containerId, ctx.signal);
        if (!pid) throw new Error(`${r.containerName} is not running, so it cannot crash`);
        await ctx.runtime.helperImage(r.node, ctx.suite.probeImage, ctx.signal);
        const res = await engine.runTask(
          {
            name: `${r.containerName}-crash-${Date.now().toString(36)}`,
            image: ctx.suite.probeImage,
            cmd: ['kill', '-9', String(pid)],
            labels: { ...ctx.runtime.labels, [LABEL.role]: 'fault' },
            pidHost: true,
          },
          ctx.signal,
        );
        if (res.exitCode !== 0)
          throw new Error(`could not kill pid ${pid} of ${r.containerName}: ${res.stderr.trim()}`);
        return { container: r.containerName, pid, restartCountBefore: restartCount };
      }),
    );
    return {
      status: 'passed',
      message: `killed the main process of ${evidence.map((e) => `${e.container} (pid ${e.pid})`).join(', ')}`,
      evidence: { crashed: evidence },
    };
  },
});
