import { z } from 'zod';
import { Duration, parseDuration } from '../common/duration.js';

/** Small schema pieces shared by the manifest and the check kinds. */

const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
export const name = (what: string) =>
  z
    .string()
    .regex(
      NAME_RE,
      `${what} names use letters, digits, "_", "." and "-", and start with a letter or digit`,
    );

/**
 * A duration with a unit, in milliseconds once loaded (a Duration), so nothing at run time
 * parses one again. The JSON Schema describes the text the manifest holds, and reads as it did
 * before durations were transformed when written `duration('what it is')`, or, with a default,
 * `duration().describe('what it is').prefault('10s')` (a zod `default` of a transform is left
 * out of the JSON Schema; a prefault is the default of the input).
 */
export const duration = (description?: string) => {
  const text = z
    .string()
    .refine((s) => parseDuration(s) !== undefined && /[a-z]$/.test(s.trim()), {
      message: 'expected a duration with a unit, like 500ms, 30s or 2m',
    })
    .meta({ pattern: '^(\\d+(\\.\\d+)?(us|ms|s|m|h))+$' });
  return (description === undefined ? text : text.describe(description)).transform(
    (s) => new Duration(s, parseDuration(s)!),
  );
};

const DEFAULT_FIRST = new WeakSet<object>();

/**
 * `schema.default(value)` for what holds durations. A zod `default` of a schema that transforms
 * is left out of the JSON Schema; a prefault is kept, but listed after the description, where
 * a default came first: manifestJsonSchema() puts these back first, so the schema reads as
 * before durations became milliseconds.
 */
export function defaultBeforeLoad<T extends z.ZodType>(schema: T, value: z.input<T>) {
  const s = schema.prefault(value as never);
  // A description (a clone of `s`) keeps its definition: that is what is marked.
  DEFAULT_FIRST.add(s._zod.def);
  return s;
}

export function listsDefaultFirst(schema: z.core.$ZodType): boolean {
  return DEFAULT_FIRST.has(schema._zod.def);
}

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
