import { z } from 'zod';
import { resolveServiceRef } from '../../checks/refs.js';
import type { ServiceRefUse } from '../../checks/types.js';
import { duration } from '../../manifest/schema-parts.js';
import type { Suite } from '../../manifest/suite.js';
import { parseRate } from '../network/scripts.js';
import { defineStepSchema } from '../types.js';
import { TargetSchema } from './target.schema.js';

const Group = z
  .union([z.string().min(1), z.array(z.string().min(1)).min(1)])
  .describe('A service (topology/service) or a list of them.');
export type Group = z.output<typeof Group>;
export const list = (g: Group): string[] => (typeof g === 'string' ? [g] : g);
const groupRefs = (g: Group | undefined, path: (string | number)[]): ServiceRefUse[] =>
  g === undefined
    ? []
    : typeof g === 'string'
      ? [{ ref: g, path }]
      : g.map((ref, i) => ({ ref, path: [...path, i] }));

const key = (suite: Pick<Suite, 'topologies'>, ref: string) => {
  const r = resolveServiceRef(suite, ref);
  return typeof r === 'string' ? ref : `${r.topology}/${r.service}`;
};

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

const ShapingTarget = {
  to: Group.optional().describe(
    'Only traffic to these services (default: all traffic the service sends; for the proxy, to every other service of the run).',
  ),
  port: z
    .union([z.number().int().min(1).max(65535), z.array(z.number().int().min(1).max(65535)).min(1)])
    .optional()
    .describe('Only traffic to these TCP ports of the `to` services (default: every port).'),
};

export interface Shaped {
  service: string;
  replica?: number;
  to?: Group;
  port?: number | number[];
}

const shapingRefs = (k: string) => (s: Record<string, unknown>) => {
  const v = s[k] as Shaped;
  return [{ ref: v.service, path: [k, 'service'] }, ...groupRefs(v.to, [k, 'to'])];
};

const portProblems = (k: string, v: Shaped) =>
  v.port !== undefined && v.to === undefined
    ? [{ message: '`port` goes with `to`', path: [k, 'port'] }]
    : [];

export const DelaySpec = TargetSchema.extend({
  duration: duration().optional().describe('How much later traffic arrives, e.g. 200ms.'),
  ms: z.number().positive().optional().describe('The same in milliseconds.'),
  jitter: duration().optional().describe('Varies each delay by up to this much either way.'),
  ...ShapingTarget,
  via: z
    .enum(['netem', 'proxy'])
    .optional()
    .describe('Force a mechanism (default: netem where the kernel has it, else the proxy).'),
});

export const LossSpec = TargetSchema.extend({
  percent: z.number().gt(0).max(100).describe('Share of packets lost, e.g. 10 for 10%.'),
  ...ShapingTarget,
  via: z
    .enum(['netem', 'iptables', 'proxy'])
    .optional()
    .describe(
      'Force a mechanism (default: netem where the kernel has it, else iptables dropping packets at random; `proxy` resets that share of new connections instead).',
    ),
});

export const BandwidthSpec = TargetSchema.extend({
  rate: z
    .string()
    .describe(
      'The most the service may send, as tc writes rates: 500kbit, 1mbit, 2gbit; 1mbps is bytes.',
    ),
  ...ShapingTarget,
});

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

export const delaySchema = defineStepSchema({
  key: 'delay',
  fault: true,
  shape: { delay: DelaySpec },
  refs: shapingRefs('delay'),
  problems: (s) => [
    ...((s.delay.duration === undefined) === (s.delay.ms === undefined)
      ? [{ message: 'write the delay as `duration: 200ms` or `ms: 200`', path: ['delay'] }]
      : []),
    ...portProblems('delay', s.delay),
  ],
});

export const lossSchema = defineStepSchema({
  key: 'loss',
  fault: true,
  shape: { loss: LossSpec },
  refs: shapingRefs('loss'),
  problems: (s) => portProblems('loss', s.loss),
});

export const bandwidthSchema = defineStepSchema({
  key: 'bandwidth',
  fault: true,
  shape: { bandwidth: BandwidthSpec },
  refs: shapingRefs('bandwidth'),
  problems: (s) => [
    ...(parseRate(s.bandwidth.rate) === undefined
      ? [
          {
            message: `"${s.bandwidth.rate}" is not a rate: write 500kbit, 1mbit, 10mbit (bits) or 1mbps (bytes) per second`,
            path: ['bandwidth', 'rate'],
          },
        ]
      : []),
    ...portProblems('bandwidth', s.bandwidth),
  ],
});
