import { z } from 'zod';
import { defineKindSchema } from '../../model/check.js';

const DnsSpec = z.strictObject({
  from: z
    .string()
    .describe(
      'The service whose containers look the name up, through their own resolver (topology/service; topology may be left out when unique).',
    ),
  name: z
    .string()
    .min(1)
    .describe(
      'The name looked up there: another service of the same compose project, a network alias, or any host name.',
    ),
});

const DnsExpect = z.strictObject({
  resolves: z
    .boolean()
    .default(true)
    .describe('false: the name must not resolve there (a service kept off that network).'),
  to: z
    .string()
    .optional()
    .describe(
      "The service every address must belong to (topology/service). Default: the service `name` names in `from`'s topology, where it names one.",
    ),
});

export type Dns = z.output<typeof DnsSpec>;

export const dnsSchema = defineKindSchema({
  kind: 'dns',
  phase: 'live',
  shape: { dns: DnsSpec, expect: DnsExpect.default({ resolves: true }) },
  refs: (c) => [
    { ref: c.dns.from, path: ['dns', 'from'] },
    ...(c.expect.to === undefined ? [] : [{ ref: c.expect.to, path: ['expect', 'to'] }]),
  ],
  problems: (c) =>
    !c.expect.resolves && c.expect.to !== undefined
      ? [
          {
            message: '`to` says whose addresses the name resolves to: not with `resolves: false`',
            path: ['expect', 'to'],
          },
        ]
      : [],
});
