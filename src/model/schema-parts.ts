import { z } from 'zod';
import { parseDuration } from '../common/duration.js';

/** Small schema pieces shared by the manifest and the check kinds. */

const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
export const name = (what: string) =>
  z
    .string()
    .regex(
      NAME_RE,
      `${what} names use letters, digits, "_", "." and "-", and start with a letter or digit`,
    );

export const duration = () =>
  z
    .string()
    .refine((s) => parseDuration(s) !== undefined && /[a-z]$/.test(s.trim()), {
      message: 'expected a duration with a unit, like 500ms, 30s or 2m',
    })
    .meta({ pattern: '^(\\d+(\\.\\d+)?(us|ms|s|m|h))+$' });

/** `attempts` and `backoff`: how often to try something, and how long to wait in between. */
export const retryAttempts = (what: string, defaults: { backoff: string[] }) =>
  z.strictObject({
    attempts: z
      .number()
      .int()
      .min(1)
      .max(100)
      .optional()
      .describe(
        `How many times to try ${what} in all (1: no retry). Default: one more than there are backoff waits.`,
      ),
    backoff: z
      .array(duration())
      .optional()
      .describe(
        `The waits between attempts, in order; the last repeats when there are more attempts. Default: [${defaults.backoff.join(', ')}].`,
      ),
  });
