import { z } from 'zod';
import { duration } from '../model/schema-parts.js';
import { defineStepSchema } from '../model/step.js';
import { TargetSchema } from '../model/target.schema.js';
import { portProblems, ShapingTarget, shapingRefs } from './network/shaping.schema.js';

export const DelaySpec = TargetSchema.extend({
  duration: duration().optional().describe('How much later traffic arrives, e.g. 200ms.'),
  ms: z.number().positive().optional().describe('The same in milliseconds.'),
  jitter: duration().optional().describe('Varies each delay by up to this much either way.'),
  ...ShapingTarget,
  via: z
    .enum(['netem', 'proxy'])
    .optional()
    .describe('Force a mechanism (default: netem where the kernel has it, else the proxy).'),
});

export const delaySchema = defineStepSchema({
  key: 'delay',
  fault: true,
  shape: { delay: DelaySpec },
  refs: shapingRefs('delay'),
  problems: (s) => [
    ...((s.delay.duration === undefined) === (s.delay.ms === undefined)
      ? [{ message: 'write the delay as `duration: 200ms` or `ms: 200`', path: ['delay'] }]
      : []),
    ...portProblems('delay', s.delay),
  ],
});
