import { z } from 'zod';
import type { Replica } from '../../checks/runtime.js';
import type { StepContext } from '../types.js';

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

export function targets(t: Target, ctx: StepContext): Replica[] {
  const all = ctx.runtime.replicas(t.service);
  const chosen = t.replica === undefined ? all : all.filter((r) => r.index === t.replica);
  if (chosen.length === 0) {
    throw new Error(
      `${t.service}${t.replica ? ` replica ${t.replica}` : ''} has no container in this run`,
    );
  }
  return chosen;
}

export const serviceRef = (key: string) => (s: { [k: string]: unknown }) => [
  { ref: (s[key] as Target).service, path: [key, 'service'] },
];
