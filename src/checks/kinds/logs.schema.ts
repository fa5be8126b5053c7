import { z } from 'zod';
import { duration } from '../../model/schema-parts.js';
import { defineKindSchema } from '../../model/check.js';

export const LogsSpec = z
  .strictObject({
    service: z.string().describe('topology/service (topology may be left out when unique).'),
    absent: z
      .string()
      .min(1)
      .optional()
      .describe('A regular expression no log line may match (stdout and stderr, every restart).'),
    present: z
      .string()
      .min(1)
      .optional()
      .describe('A regular expression some log line must match.'),
    within: duration()
      .optional()
      .describe(
        "With `present`: the line must be logged within this time of the container's (latest) start; the check waits for it while that window is open.",
      ),
    since: duration()
      .optional()
      .describe(
        "Only lines logged this long before the check (default: the container's whole log).",
      ),
    ignoreCase: z.boolean().default(false),
  })
  .refine((l) => (l.absent === undefined) !== (l.present === undefined), {
    message: 'give either `absent` (a pattern that must never appear) or `present` (one that must)',
  })
  .refine((l) => l.within === undefined || l.present !== undefined, {
    message: '`within` goes with `present`',
    path: ['within'],
  });

export const logsSchema = defineKindSchema({
  kind: 'logs',
  phase: 'live',
  shape: { logs: LogsSpec },
  refs: (c) => [{ ref: c.logs.service, path: ['logs', 'service'] }],
  problems: (c) =>
    (['absent', 'present'] as const).flatMap((key) => {
      const pattern = c.logs[key];
      if (pattern === undefined) return [];
      try {
        new RegExp(pattern);
        return [];
      } catch (e) {
        return [{ message: `${key}: ${(e as Error).message}`, path: ['logs', key] }];
      }
    }),
});
