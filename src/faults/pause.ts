import { engineMessage } from '../engine/engine.js';
import { defineStep } from '../live/step.js';
import { targets } from '../live/targets.js';
import { pauseSchema, unpauseSchema } from './pause.schema.js';

/*
 * A frozen process: `pause` freezes the targets' containers (the cgroup freezer, through the
 * engine) and records the fault; `unpause`, its `for:` or the scenario's end heals it.
 */

export const pause = defineStep({
  ...pauseSchema,
  async run(step, ctx) {
    const replicas = targets(step.pause, ctx);
    for (const r of replicas) {
      const engine = ctx.runtime.engine(r.node);
      try {
        await engine.pauseContainer(r.containerId, ctx.signal);
      } catch (e) {
        throw new Error(`cannot pause ${r.containerName}: ${engineMessage(e)}`);
      }
      ctx.faults.add(
        {
          id: `pause:${r.containerId}`,
          kind: 'pause',
          description: `${r.containerName} paused`,
          mechanism: 'cgroup freezer (engine pause)',
          heal: (signal) => engine.unpauseContainer(r.containerId, signal),
        },
        ctx.forMs,
      );
    }
    return {
      status: 'passed',
      message: `paused ${replicas.map((r) => r.containerName).join(', ')}`,
      evidence: {},
    };
  },
});

export const unpause = defineStep({
  ...unpauseSchema,
  async run(step, ctx) {
    const replicas = targets(step.unpause, ctx);
    for (const r of replicas) await ctx.faults.heal(`pause:${r.containerId}`, 'an unpause step');
    await Promise.all(
      replicas.map((r) => ctx.runtime.engine(r.node).unpauseContainer(r.containerId, ctx.signal)),
    );
    return {
      status: 'passed',
      message: `unpaused ${replicas.map((r) => r.containerName).join(', ')}`,
      evidence: {},
    };
  },
});
