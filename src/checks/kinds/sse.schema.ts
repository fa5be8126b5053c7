import { z } from 'zod';
import { Duration } from '../../common/duration.js';
import { duration } from '../../model/schema-parts.js';
import { regexProblems, TextMatchSchema } from '../../model/match.js';
import { defineKindSchema } from '../../model/check.js';
import type { CommonCheck } from '../../model/common-check.js';

const SseSource = z
  .strictObject({
    service: z
      .string()
      .optional()
      .describe(
        'topology/service (topology may be left out when unique); read at its published address.',
      ),
    port: z.number().int().min(1).max(65535).optional().describe("The service's container port."),
    path: z.string().default('/').describe('The stream path, with its query: /events?topic=jobs.'),
    url: z.string().url().optional().describe('Any URL instead of a service and port.'),
    headers: z
      .record(z.string(), z.string())
      .default({})
      .describe('Request headers (Authorization, Last-Event-ID …).'),
  })
  .refine((s) => (s.url === undefined) !== (s.service === undefined), {
    message: 'give either `url` or `service` (with `port`)',
  })
  .refine((s) => s.service === undefined || s.port !== undefined, {
    message: '`service` needs `port` (the container port)',
  })
  .describe(
    'A server-sent event stream (text/event-stream), read by one or more concurrent clients.',
  );

export const SseExpect = z.strictObject({
  events: z
    .number()
    .int()
    .min(0)
    .default(1)
    .describe(
      'At least this many events on every connection (only events that fit `event` and `match` count).',
    ),
  event: z
    .string()
    .optional()
    .describe('Count only events of this type (`event:`; "message" when none is named).'),
  match: TextMatchSchema.optional().describe('Count only events whose data matches.'),
  within: duration()
    .optional()
    .describe(
      "The events must arrive this soon after the request (default: within the check's timeout).",
    ),
  hold: duration()
    .optional()
    .describe(
      'Keep every connection open this long once it is established; one the server closes or resets sooner is a drop, and a drop fails the check.',
    ),
  clients: z
    .number()
    .int()
    .min(1)
    .max(1000)
    .default(1)
    .describe('Concurrent connections; each must get the events, and none may drop.'),
});

type Expect = z.output<typeof SseExpect>;

/** `hold` and `within` must fit in one attempt, which the check's `timeout` ends. */
function timeProblems(e: Expect, timeout: Duration): { message: string; path: string[] }[] {
  const limit = timeout.ms;
  const out = [];
  if (e.hold !== undefined && e.hold.ms >= limit) {
    const enough = `${Math.ceil(e.hold.ms / 1000) + 5}s`;
    out.push({
      message: `\`hold: ${e.hold}\` keeps the streams open past the check's \`timeout: ${timeout}\`; set a longer timeout, e.g. \`timeout: ${enough}\``,
      path: ['expect', 'hold'],
    });
  }
  if (e.within !== undefined && e.within.ms > limit) {
    out.push({
      message: `\`within: ${e.within}\` is longer than the check's \`timeout: ${timeout}\`; set \`timeout: ${e.within}\` or more`,
      path: ['expect', 'within'],
    });
  }
  return out;
}

export const sseSchema = defineKindSchema({
  kind: 'sse',
  phase: 'live',
  shape: { sse: SseSource, expect: SseExpect.prefault({ events: 1, clients: 1 }) },
  refs: (c) => (c.sse.service ? [{ ref: c.sse.service, path: ['sse', 'service'] }] : []),
  problems: (c) => [
    ...regexProblems(c.expect.match).map((message) => ({ message, path: ['expect', 'match'] })),
    // The loader hands the whole entry over, common keys included.
    ...timeProblems(
      c.expect,
      (c as typeof c & Partial<CommonCheck>).timeout ?? new Duration('10s', 10_000),
    ),
  ],
});
