import { z } from 'zod';
import { defineKindSchema } from '../../model/check.js';

const TcpTarget = z
  .strictObject({
    service: z
      .string()
      .optional()
      .describe(
        "topology/service (topology may be left out when unique). From the runner: its published address; with `from`: its network name in the same topology, else that container's address on a network both join, else its published port.",
      ),
    host: z.string().min(1).optional().describe('A host name or address instead of a service.'),
    port: z
      .number()
      .int()
      .min(1)
      .max(65535)
      .describe("The service's container port, or the port on `host`."),
    from: z
      .string()
      .optional()
      .describe(
        "Connect from inside this service's network namespace (a probe sidecar running nc).",
      ),
  })
  .refine((t) => (t.service === undefined) !== (t.host === undefined), {
    message: 'give either `service` or `host` (with `port`)',
  })
  .describe('A TCP port accepts connections: from the runner, or from inside a service (`from`).');

const TcpExpect = z.strictObject({
  open: z
    .boolean()
    .default(true)
    .describe(
      'true: the port accepts connections. false: it does not (refused, filtered, unresolvable or unpublished), e.g. after a partition.',
    ),
});

export const tcpSchema = defineKindSchema({
  kind: 'tcp',
  phase: 'live',
  shape: { tcp: TcpTarget, expect: TcpExpect.default({ open: true }) },
  refs: (c) => [
    ...(c.tcp.service ? [{ ref: c.tcp.service, path: ['tcp', 'service'] }] : []),
    ...(c.tcp.from ? [{ ref: c.tcp.from, path: ['tcp', 'from'] }] : []),
  ],
  // Expecting it closed, a target with no route to it is a pass the evidence explains.
  routes: (c) =>
    c.tcp.from && c.tcp.service && c.expect.open
      ? [{ from: c.tcp.from, to: c.tcp.service, port: c.tcp.port, path: ['tcp', 'service'] }]
      : [],
});
