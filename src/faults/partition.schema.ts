import { z } from 'zod';
import { defineStepSchema } from '../model/step.js';
import { Group, groupRefs, key, list } from './network/shaping.schema.js';

export const PartitionSpec = z
  .strictObject({
    between: z
      .tuple([Group, Group])
      .optional()
      .describe(
        'Two services (or two groups of services): every path between the sides is cut, both ways unless `oneway`.',
      ),
    oneway: z
      .boolean()
      .optional()
      .describe(
        'Cut only connections the first side opens to the second; the second can still reach the first.',
      ),
    isolate: Group.optional().describe(
      'Cut this service (or group) off from every other service of the run.',
    ),
    nodes: z
      .tuple([z.string(), z.string()])
      .optional()
      .describe(
        "Two nodes: every container of the run on one cannot reach the other's published ports, both ways unless `oneway`.",
      ),
  })
  .describe('Drop traffic between services with iptables rules in their network namespaces.');

export const partitionSchema = defineStepSchema({
  key: 'partition',
  fault: true,
  shape: { partition: PartitionSpec },
  refs: (s) => [
    ...groupRefs(s.partition.between?.[0], ['partition', 'between', 0]),
    ...groupRefs(s.partition.between?.[1], ['partition', 'between', 1]),
    ...groupRefs(s.partition.isolate, ['partition', 'isolate']),
  ],
  problems(s, suite) {
    const p = s.partition;
    const out: { message: string; path: (string | number)[] }[] = [];
    if ([p.between, p.isolate, p.nodes].filter((x) => x !== undefined).length !== 1)
      out.push({
        message: 'write one of `between: [a, b]`, `isolate: service` or `nodes: [a, b]`',
        path: ['partition'],
      });
    if (p.oneway !== undefined && p.between === undefined && p.nodes === undefined)
      out.push({
        message: '`oneway` goes with `between` or `nodes`',
        path: ['partition', 'oneway'],
      });
    p.nodes?.forEach((n, i) => {
      if (!suite.nodes[n])
        out.push({
          message: `no node "${n}" (nodes: ${Object.keys(suite.nodes).join(', ')})`,
          path: ['partition', 'nodes', i],
        });
    });
    if (p.nodes && p.nodes[0] === p.nodes[1])
      out.push({
        message: 'a partition between nodes needs two different nodes',
        path: ['partition', 'nodes'],
      });
    if (p.between) {
      const left = new Set(list(p.between[0]).map((r) => key(suite, r)));
      const both = list(p.between[1]).filter((r) => left.has(key(suite, r)));
      if (both.length)
        out.push({
          message: `${both.join(', ')} cannot be on both sides of a partition`,
          path: ['partition', 'between'],
        });
    }
    return out;
  },
});
