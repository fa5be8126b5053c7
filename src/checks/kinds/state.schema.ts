import { z } from 'zod';
import { defineKindSchema } from '../../model/check.js';

/** A count expected exactly, or within bounds. */
const countExpectation = (what: string) =>
  z.union([
    z.number().int().min(0).describe(`Exactly this many ${what}.`),
    z
      .strictObject({
        min: z.number().int().min(0).optional(),
        max: z.number().int().min(0).optional(),
      })
      .refine((r) => r.min !== undefined || r.max !== undefined, {
        message: 'give `min`, `max` or both',
      })
      .refine((r) => r.min === undefined || r.max === undefined || r.min <= r.max, {
        message: '`min` is above `max`',
      }),
  ]);
export type CountExpectation = z.output<ReturnType<typeof countExpectation>>;

export const StateSpec = z.strictObject({
  service: z.string().describe('topology/service (topology may be left out when unique).'),
  running: z
    .boolean()
    .optional()
    .describe(
      'Running (true), or stopped/exited (false). Default: true when nothing else is asked.',
    ),
  healthy: z
    .boolean()
    .optional()
    .describe('The healthcheck reports healthy (true), or not (false). Needs a healthcheck.'),
  restarts: countExpectation('restarts')
    .optional()
    .describe("The engine's restart count (restart policies): a number, or {min, max}."),
  exitCode: z.number().int().optional().describe('The code of the last exit.'),
  oomKilled: z
    .boolean()
    .optional()
    .describe("The engine's OOMKilled flag: whether the kernel killed it for lack of memory."),
  oomKills: countExpectation('out-of-memory kills')
    .optional()
    .describe(
      "How many of the container's runs (from one start to the next) the kernel killed a process of for lack of memory during the stackcheck run (the engine's `oom` events, which an engine may send several of for one kill): a number, or {min, max}. Unlike `oomKilled`, a restart does not hide it, and a process of the container other than its main one counts too (once per run of the container). An engine that sends no `oom` events (Podman) cannot count them: the check is then skipped with the reason, after the rest of it is judged.",
    ),
});

export const stateSchema = defineKindSchema({
  kind: 'state',
  phase: 'live',
  shape: { state: StateSpec },
  refs: (c) => [{ ref: c.state.service, path: ['state', 'service'] }],
});
