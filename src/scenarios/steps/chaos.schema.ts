import { z } from 'zod';
import { defineStepSchema } from '../../model/step.js';

export const MAX_SEED = 2 ** 32 - 1;

const ChaosSpec = z
  .strictObject({
    among: z
      .union([z.string().min(1), z.array(z.string().min(1)).min(1)])
      .describe(
        'The services to choose from (topology/service, topology may be left out when unique).',
      ),
    action: z
      .enum(['crash', 'kill'])
      .default('crash')
      .describe(
        '`crash`: the main process dies as in a real crash, so restart policies apply; `kill`: SIGKILL through the engine, a manual stop they ignore.',
      ),
    pick: z.number().int().min(1).default(1).describe('How many to choose on each node.'),
    per: z
      .enum(['replica', 'service'])
      .default('replica')
      .describe(
        'Choose single replicas, or whole services (every replica of each chosen one on that node).',
      ),
    seed: z
      .number()
      .int()
      .min(0)
      .max(MAX_SEED)
      .optional()
      .describe(
        'Replays an earlier choice: the result of every chaos step names the seed it used.',
      ),
  })
  .describe('Crash or kill randomly chosen services or replicas on each node, reproducibly.');
export type Chaos = z.output<typeof ChaosSpec>;

export const chaosSchema = defineStepSchema({
  key: 'chaos',
  shape: { chaos: ChaosSpec },
  refs: (s) =>
    typeof s.chaos.among === 'string'
      ? [{ ref: s.chaos.among, path: ['chaos', 'among'] }]
      : s.chaos.among.map((ref, i) => ({ ref, path: ['chaos', 'among', i] })),
});
