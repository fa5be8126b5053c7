import { z } from 'zod';
import { parsePortRange } from '../../model/port-collisions.js';
import { defineKindSchema } from '../../model/check.js';

export const PortsSpec = z.strictObject({
  scope: z
    .enum(['node', 'suite'])
    .default('node')
    .describe(
      '`node`: ports collide when two topologies on the same node publish them; `suite`: across every node too, as if all ran on one host.',
    ),
  range: z
    .string()
    .optional()
    .describe(
      'Every published host port must lie in this range, e.g. "50000-50999". Default: the `portRange` of the node each topology runs on, where it has one.',
    ),
  runner: z
    .boolean()
    .default(false)
    .describe(
      'Also bind each published port on this machine for an instant: one already in use by something else is a collision (topologies on a local node only).',
    ),
  declared: z
    .boolean()
    .default(false)
    .describe(
      'Judge the ports the compose files declare even for topologies run with `publish: ephemeral` (whose host ports the engine otherwise picks).',
    ),
});

export const portsSchema = defineKindSchema({
  kind: 'ports',
  phase: 'static',
  shape: {
    ports: PortsSpec.default({ scope: 'node', runner: false, declared: false }),
  },
  refs: () => [],
  problems: (c) => {
    if (c.ports.range === undefined) return [];
    const r = parsePortRange(c.ports.range);
    return typeof r === 'string' ? [{ message: r, path: ['ports', 'range'] }] : [];
  },
});
