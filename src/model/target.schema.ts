import { z } from 'zod';

/** Which containers a lifecycle step acts on: every replica of a service, or one of them. */
export const TargetSchema = z.strictObject({
  service: z.string().describe('topology/service (topology may be left out when unique).'),
  replica: z
    .number()
    .int()
    .min(1)
    .optional()
    .describe('Only this replica (1-based); default: all.'),
});
export type Target = z.output<typeof TargetSchema>;

export const serviceRef = (key: string) => (s: { [k: string]: unknown }) => [
  { ref: (s[key] as Target).service, path: [key, 'service'] },
];
