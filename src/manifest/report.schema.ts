import { z } from 'zod';

/** `report:`: which reports a run writes, besides the console. */
export const ReportSchema = z.strictObject({
  json: z
    .string()
    .optional()
    .describe('Write the results JSON to this file (relative to the working directory).'),
  junit: z
    .string()
    .optional()
    .describe('Write a JUnit XML report to this file (relative to the working directory).'),
  summary: z
    .boolean()
    .optional()
    .describe(
      'Write the GitHub job summary (the action; skipped where the runner shows none). Default: true.',
    ),
  annotations: z
    .boolean()
    .optional()
    .describe('Annotate the manifest line of each failing check (the action). Default: true.'),
  logs: z
    .strictObject({
      onFailure: z
        .number()
        .int()
        .min(0)
        .describe('Last lines of the log of each service a failing check targets. Default: 50.'),
    })
    .optional(),
});

export type ReportConfig = z.output<typeof ReportSchema>;
