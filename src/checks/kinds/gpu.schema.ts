import { z } from 'zod';
import { defineKindSchema } from '../../model/check.js';

const GpuSpec = z
  .strictObject({
    service: z
      .string()
      .optional()
      .describe(
        'topology/service: count the GPUs visible inside each of its containers (nvidia-smi there), with its device requests as evidence.',
      ),
    runner: z
      .literal(true)
      .optional()
      .describe(
        "Count the runner's own GPUs (nvidia-smi on the host; $STACKCHECK_NVIDIA_SMI names another binary).",
      ),
    min: z.number().int().min(1).default(1).describe('At least this many GPUs.'),
  })
  .refine((g) => (g.service === undefined) !== (g.runner === undefined), {
    message:
      'give either `service` (GPUs inside its containers) or `runner: true` (the runner’s own)',
  })
  .describe(
    'GPUs: how many a service sees (nvidia-smi inside it), or the runner has. No nvidia-smi: skipped.',
  );

export const gpuSchema = defineKindSchema({
  kind: 'gpu',
  phase: 'live',
  shape: { gpu: GpuSpec },
  refs: (c) => (c.gpu.service ? [{ ref: c.gpu.service, path: ['gpu', 'service'] }] : []),
});
