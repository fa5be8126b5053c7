import { z } from 'zod';
import { defineStepSchema } from '../model/step.js';
import { TargetSchema } from '../model/target.schema.js';
import { portProblems, ShapingTarget, shapingRefs } from './network/shaping.schema.js';

export const LossSpec = TargetSchema.extend({
  percent: z.number().gt(0).max(100).describe('Share of packets lost, e.g. 10 for 10%.'),
  ...ShapingTarget,
  via: z
    .enum(['netem', 'iptables', 'proxy'])
    .optional()
    .describe(
      'Force a mechanism (default: netem where the kernel has it, else iptables dropping packets at random; `proxy` resets that share of new connections instead).',
    ),
});

export const lossSchema = defineStepSchema({
  key: 'loss',
  fault: true,
  shape: { loss: LossSpec },
  refs: shapingRefs('loss'),
  problems: (s) => portProblems('loss', s.loss),
});
