import { z } from 'zod';
import { duration } from './schema-parts.js';
import { RepeatSchema } from '../checks/repeat.schema.js';

/** Fields every check has, whatever its kind. */
export const CommonCheckShape = {
  name: z.string().min(1).describe('What the check proves, in words a reviewer reads.'),
  timeout: duration().describe('Time limit of one attempt.').prefault('10s'),
  retry: z
    .strictObject({
      timeout: duration('Keep retrying a failing check for this long.'),
      interval: duration().describe('Wait between attempts.').prefault('1s'),
      backoff: z
        .number()
        .min(1)
        .default(1)
        .describe('Multiply the interval by this after each attempt.'),
    })
    .optional(),
  repeat: RepeatSchema.optional(),
  serial: z.boolean().default(false).describe('Run alone, after the parallel checks.'),
  any: z
    .boolean()
    .default(false)
    .describe('On a scaled service, pass when one replica passes (default: every replica must).'),
};

export type CommonCheck = z.output<z.ZodObject<typeof CommonCheckShape>>;
