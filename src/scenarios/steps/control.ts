import { defineStep } from '../../live/step.js';
import { healSchema, sleepSchema } from './control.schema.js';

export const sleep = defineStep({
  ...sleepSchema,
  async run(step, ctx) {
    await ctx.clock.sleep(step.sleep.ms, ctx.signal);
    return { status: 'passed', message: `slept ${step.sleep}`, evidence: {} };
  },
});

export const heal = defineStep({
  ...healSchema,
  async run(step, ctx) {
    const before = ctx.faults.list().filter((f) => step.heal === 'all' || f.kind === step.heal);
    await ctx.faults.healAll('a heal step', step.heal === 'all' ? undefined : step.heal);
    const failed = ctx.faults.healed.filter((h) => h.error && before.some((f) => f.id === h.id));
    if (failed.length) {
      return {
        status: 'error',
        message: `could not heal: ${failed.map((f) => `${f.description}: ${f.error}`).join('; ')}`,
        evidence: {},
      };
    }
    return {
      status: 'passed',
      message: before.length
        ? `healed ${before.map((f) => f.description).join(', ')}`
        : `no active ${step.heal} fault to heal`,
      evidence: {},
    };
  },
});
