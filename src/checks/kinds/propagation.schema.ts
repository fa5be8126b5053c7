import { z } from 'zod';
import { duration } from '../../model/schema-parts.js';
import { defineKindSchema } from '../../model/check.js';
import type { CommonCheck } from '../../model/common-check.js';

/** Replaced, in what is written and what is looked for, by a token unique to each attempt. */
export const TOKEN = '{{token}}';
const service = z.string().describe('topology/service (topology may be left out when unique).');
const port = z.number().int().min(1).max(65535).describe("The service's container port.");

export const Write = z
  .strictObject({
    service,
    http: z
      .strictObject({
        port,
        path: z.string().default('/'),
        method: z.enum(['POST', 'PUT', 'PATCH']).default('POST'),
        headers: z.record(z.string(), z.string()).default({}),
        body: z
          .string()
          .default(TOKEN)
          .describe(`The request body; ${TOKEN} in it is the attempt's token.`),
      })
      .optional()
      .describe('Send the token in an HTTP request, from the runner to the published port.'),
    file: z
      .string()
      .regex(/^\//, 'an absolute path in the container')
      .optional()
      .describe('Append a line with the token to this file (needs `sh` in the image).'),
    exec: z
      .array(z.string())
      .min(1)
      .optional()
      .describe(`Run this command in the container; ${TOKEN} in its arguments is the token.`),
  })
  .refine((w) => [w.http, w.file, w.exec].filter(Boolean).length === 1, {
    message: 'write with one of `http`, `file` or `exec`',
  });

export const See = z
  .strictObject({
    service,
    http: z
      .strictObject({ port, path: z.string().default('/') })
      .optional()
      .describe('The token appears in the body of a GET to this path.'),
    file: z
      .string()
      .regex(/^\//, 'an absolute path in the container')
      .optional()
      .describe('The token appears in this file (read through the engine: no tool needed).'),
    logs: z.literal(true).optional().describe("The token appears in the container's log."),
    exec: z
      .array(z.string())
      .min(1)
      .optional()
      .describe('The token appears in the output of this command.'),
  })
  .refine((s) => [s.http, s.file, s.logs, s.exec].filter(Boolean).length === 1, {
    message: 'look with one of `http`, `file`, `logs` or `exec`',
  });

const PropagationSpec = z.strictObject({
  write: Write.describe('Where the token is written (on one node).'),
  see: See.describe('Where it must become visible (on another node, usually).'),
  within: duration()
    .describe(
      'It must be visible this soon after the write; with `expect: { arrives: false }`, how long it is looked for.',
    )
    .prefault('5s'),
  interval: duration().describe('How often to look.').prefault('100ms'),
});

const PropagationExpect = z.strictObject({
  arrives: z
    .boolean()
    .default(true)
    .describe(
      'true: the token becomes visible within `within`. false: it must not (a partition holds, a service is kept out of a sync): it is looked for every `interval` for the whole `within`, the first sighting fails the check with where it was seen, and a look that fails makes it an error.',
    ),
});

export const propagationSchema = defineKindSchema({
  kind: 'propagation',
  phase: 'live',
  shape: { propagation: PropagationSpec, expect: PropagationExpect.default({ arrives: true }) },
  refs: (c) => [
    { ref: c.propagation.write.service, path: ['propagation', 'write', 'service'] },
    { ref: c.propagation.see.service, path: ['propagation', 'see', 'service'] },
  ],
  // The loader passes the whole entry, common keys included: the attempt's time limit is one.
  problems: (c) => {
    const { timeout, retry } = c as typeof c & CommonCheck;
    return [
      ...(c.propagation.within.ms > timeout.ms
        ? [
            {
              message: `\`within: ${c.propagation.within}\` is longer than the check's \`timeout: ${timeout}\`, which would end it first; raise \`timeout\``,
              path: ['propagation', 'within'],
            },
          ]
        : []),
      // A retry writes a new token: one that leaked would be forgotten and the next one might pass.
      ...(!c.expect.arrives && retry
        ? [
            {
              message:
                'with `expect: { arrives: false }` a sighting of the token is final: `retry` would write a new token and could pass a leak; remove `retry` (`repeat` runs several writes, each of which must not arrive)',
              path: ['retry'],
            },
          ]
        : []),
    ];
  },
});
