import { z } from 'zod';
import { duration } from '../../model/schema-parts.js';
import { parseJsonPath } from '../../model/jsonpath.js';
import { regexProblems, TextMatchSchema } from '../../model/match.js';
import { defineKindSchema } from '../../model/check.js';

const StatusExpectation = z.union([
  z.number().int(),
  z.array(z.number().int()).min(1),
  z.string().regex(/^[1-5]xx$/, 'a status class is written like "2xx"'),
]);

export const HttpRequest = z
  .strictObject({
    service: z
      .string()
      .optional()
      .describe('topology/service (topology may be left out when unique).'),
    port: z.number().int().min(1).max(65535).optional().describe("The service's container port."),
    path: z.string().default('/'),
    url: z.string().url().optional().describe('Any URL instead of a service and port.'),
    from: z
      .string()
      .optional()
      .describe(
        "Send the request from inside this service (GET and POST): to a service of its own topology by its network name, to another topology's service at that container's address on a network both join, else at its published port.",
      ),
    method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS']).default('GET'),
    headers: z.record(z.string(), z.string()).default({}),
    body: z.string().optional(),
    json: z.unknown().optional().describe('A JSON request body (sets content-type).'),
  })
  .refine((r) => (r.url === undefined) !== (r.service === undefined), {
    message: 'give either `url` or `service` (with `port`)',
  })
  .refine((r) => r.service === undefined || r.port !== undefined, {
    message: '`service` needs `port` (the container port)',
  })
  .refine((r) => r.body === undefined || r.json === undefined, {
    message: 'give `body` or `json`, not both',
  });

export const HttpExpect = z.strictObject({
  status: StatusExpectation.default('2xx'),
  headers: z.record(z.string(), TextMatchSchema).optional(),
  body: TextMatchSchema.optional(),
  json: z.unknown().optional().describe('The JSON body contains this (objects by subset).'),
  jsonpath: z
    .record(z.string(), z.unknown())
    .optional()
    .describe('Values at JSONPaths, e.g. {"$.items[0].id": 3}.'),
  within: duration().optional().describe('Latency bound for the whole response.'),
});

export const httpSchema = defineKindSchema({
  kind: 'http',
  phase: 'live',
  shape: { http: HttpRequest, expect: HttpExpect.prefault({ status: '2xx' }) },
  refs: (c) => [
    ...(c.http.service ? [{ ref: c.http.service, path: ['http', 'service'] }] : []),
    ...(c.http.from ? [{ ref: c.http.from, path: ['http', 'from'] }] : []),
  ],
  routes: (c) =>
    c.http.from && c.http.service
      ? [{ from: c.http.from, to: c.http.service, port: c.http.port!, path: ['http', 'service'] }]
      : [],
  problems: (c) => [
    ...Object.keys(c.expect.jsonpath ?? {}).flatMap((p) => {
      const parsed = parseJsonPath(p);
      return typeof parsed === 'string'
        ? [{ message: parsed, path: ['expect', 'jsonpath', p] }]
        : [];
    }),
    ...[c.expect.body, ...Object.values(c.expect.headers ?? {})].flatMap((m) =>
      regexProblems(m).map((message) => ({ message, path: ['expect'] })),
    ),
    ...(c.http.from && !['GET', 'POST'].includes(c.http.method)
      ? [
          {
            message: `requests sent \`from:\` a service support GET and POST, not ${c.http.method}`,
            path: ['http', 'method'],
          },
        ]
      : []),
  ],
});
