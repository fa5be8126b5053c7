import { z } from 'zod';
import { duration } from '../model/schema-parts.js';

/** How `repeat:` on a check is written; repeat.ts runs the series and judges it. */

/** The check kinds whose evidence carries response headers, which `distribution` reads. */
export const KINDS_WITH_HEADERS: ReadonlySet<string> = new Set(['http']);

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

export const DistributionSchema = z
  .strictObject({
    header: z
      .string()
      .regex(HEADER_NAME, 'a header name, like x-backend')
      .describe('The response header that names the backend that answered (e.g. x-backend).'),
    min: z
      .number()
      .gt(0)
      .max(1)
      .optional()
      .describe(
        'Every backend seen answers at least this share of the passing requests (0.2 = 20%; 1 = one backend answers all).',
      ),
    backends: z
      .array(z.string().min(1))
      .min(1)
      .optional()
      .describe('Backends that must each answer at least once.'),
  })
  .refine((d) => d.min !== undefined || d.backends !== undefined, {
    message: 'a distribution needs `min`, `backends`, or both',
  })
  .describe(
    'How the passing answers spread over backends, read from a response header (http checks). Every passing answer must carry the header.',
  );

const RepeatBlock = z
  .strictObject({
    count: z
      .number()
      .int()
      .min(1)
      .max(100_000)
      .optional()
      .describe('Run the attempt this many times.'),
    for: duration().optional().describe('Run the attempt again and again for this long.'),
    interval: duration()
      .optional()
      .describe('Wait between attempts. Default: none with `count`, 100ms with `for`.'),
    successRatio: z
      .number()
      .min(0)
      .max(1)
      .default(1)
      .describe('The share of attempts that must pass (0.95 = 95%). Default: every one.'),
    distribution: DistributionSchema.optional(),
  })
  .refine((r) => (r.count === undefined) !== (r.for === undefined), {
    message: 'give `count` (how many attempts) or `for` (how long), one of them',
  });

export const RepeatSchema = z
  .union([z.number().int().min(1).max(100_000), RepeatBlock])
  .describe(
    'Repeat the attempt: a count (`repeat: 50`), or {count | for, interval, successRatio, distribution}. The check passes when the series does; `retry` retries the whole series.',
  );

export type RepeatEntry = z.output<typeof RepeatSchema>;
