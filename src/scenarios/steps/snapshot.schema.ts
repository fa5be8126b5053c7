import { z } from 'zod';
import { defineStepSchema } from '../../model/step.js';

export const snapshotSchema = defineStepSchema({
  key: 'snapshot',
  shape: {
    snapshot: z.strictObject({
      take: z.string().describe('The name of a `snapshots:` entry: what to capture.'),
      of: z
        .string()
        .optional()
        .describe(
          "A node, or a service (topology/service). Default: the entry's `of`, when it names one.",
        ),
      as: z
        .string()
        .optional()
        .describe(
          "The name a diff check finds it under (`taken: NAME`). Default: the entry's name.",
        ),
    }),
  },
  // Bare names may be nodes: the snapshot loader judges `of` (model/snapshot.ts).
  refs: (s) =>
    s.snapshot.of?.includes('/') ? [{ ref: s.snapshot.of, path: ['snapshot', 'of'] }] : [],
});
