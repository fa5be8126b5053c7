import { z } from 'zod';
import { resolveServiceRef } from '../../model/refs.js';
import type { ServiceRefUse } from '../../model/suite.js';
import type { Suite } from '../../model/suite.js';

export const Group = z
  .union([z.string().min(1), z.array(z.string().min(1)).min(1)])
  .describe('A service (topology/service) or a list of them.');
export type Group = z.output<typeof Group>;
export const list = (g: Group): string[] => (typeof g === 'string' ? [g] : g);
export const groupRefs = (g: Group | undefined, path: (string | number)[]): ServiceRefUse[] =>
  g === undefined
    ? []
    : typeof g === 'string'
      ? [{ ref: g, path }]
      : g.map((ref, i) => ({ ref, path: [...path, i] }));

export const key = (suite: Pick<Suite, 'topologies'>, ref: string) => {
  const r = resolveServiceRef(suite, ref);
  return typeof r === 'string' ? ref : `${r.topology}/${r.service}`;
};

export const ShapingTarget = {
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

export const shapingRefs = (k: string) => (s: Record<string, unknown>) => {
  const v = s[k] as Shaped;
  return [{ ref: v.service, path: [k, 'service'] }, ...groupRefs(v.to, [k, 'to'])];
};

export const portProblems = (k: string, v: Shaped) =>
  v.port !== undefined && v.to === undefined
    ? [{ message: '`port` goes with `to`', path: [k, 'port'] }]
    : [];
