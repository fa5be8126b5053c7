import { z } from 'zod';
import { parseDuration } from '../../common/duration.js';
import { duration } from '../../manifest/schema-parts.js';
import { defineKindSchema, type CommonCheck } from '../types.js';

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
  within: duration().default('5s').describe('It must be visible this soon after the write.'),
  interval: duration().default('100ms').describe('How often to look.'),
});

export const propagationSchema = defineKindSchema({
  kind: 'propagation',
  phase: 'live',
  shape: { propagation: PropagationSpec },
  refs: (c) => [
    { ref: c.propagation.write.service, path: ['propagation', 'write', 'service'] },
    { ref: c.propagation.see.service, path: ['propagation', 'see', 'service'] },
  ],
  // The loader passes the whole entry, common keys included: the attempt's time limit is one.
  problems: (c) => {
    const { timeout } = c as typeof c & CommonCheck;
    return parseDuration(c.propagation.within)! > parseDuration(timeout)!
      ? [
          {
            message: `\`within: ${c.propagation.within}\` is longer than the check's \`timeout: ${timeout}\`, which would end it first; raise \`timeout\``,
            path: ['propagation', 'within'],
          },
        ]
      : [];
  },
});
