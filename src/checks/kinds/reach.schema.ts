import { z } from 'zod';
import { defineKindSchema } from '../../model/check.js';

const OneOrMore = (what: string) =>
  z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).describe(what);

const ReachSpec = z
  .strictObject({
    from: OneOrMore(
      'The service(s) connecting, as topology/service; every replica of each connects from its own network namespace.',
    ),
    to: OneOrMore(
      'Addresses to connect to: "service:port" or "topology/service:port" (the port as the container listens; a service of the same topology by its network name, of another topology at each of its containers: on a network both join, else its published port), or "host:port" for anything else (a host is written with a dot, an IP, [IPv6] or localhost).',
    ),
  })
  .describe('A reachability matrix: can every replica of each `from` connect to each `to`?');

const ReachExpect = z.strictObject({
  reachable: z
    .boolean()
    .default(true)
    .describe('true: every pair connects. false: none does (isolation, a partition).'),
});

export interface Target {
  /** As written in the manifest. */
  text: string;
  /** The service reference, when the target is a service. */
  service?: string;
  /** The name or address nc connects to. */
  host: string;
  port: number;
}

/** Peers reach a service by its name (its DNS alias) on their shared networks. */
export function networkName(ref: string): string {
  return ref.slice(ref.lastIndexOf('/') + 1);
}

/** "service:port", "topology/service:port" or "host:port"; a message when it is none of them. */
export function parseTarget(text: string): Target | string {
  const m = /^(.+):(\d+)$/.exec(text);
  if (!m) return `"${text}" is not service:port or host:port`;
  const name = m[1]!;
  const port = Number(m[2]);
  if (port < 1 || port > 65535) return `port ${m[2]} in "${text}" is not between 1 and 65535`;
  if (name.startsWith('[') && name.endsWith(']')) return { text, host: name.slice(1, -1), port };
  if (name.includes(':')) return `write an IPv6 address in brackets: [${name}]:${port}`;
  if (name.includes('.') || name === 'localhost') return { text, host: name, port };
  return { text, service: name, host: networkName(name), port };
}

export const list = (v: string | string[]): string[] => (typeof v === 'string' ? [v] : v);
/** Where item i of a key that may be one string or a list is, for error positions. */
const at = (v: string | string[], key: string, i: number) =>
  typeof v === 'string' ? ['reach', key] : ['reach', key, i];

export const reachSchema = defineKindSchema({
  kind: 'reach',
  phase: 'live',
  shape: { reach: ReachSpec, expect: ReachExpect.default({ reachable: true }) },
  refs: (c) => [
    ...list(c.reach.from).map((ref, i) => ({ ref, path: at(c.reach.from, 'from', i) })),
    ...list(c.reach.to).flatMap((text, i) => {
      const t = parseTarget(text);
      return typeof t === 'object' && t.service
        ? [{ ref: t.service, path: at(c.reach.to, 'to', i) }]
        : [];
    }),
  ],
  problems: (c) =>
    list(c.reach.to).flatMap((text, i) => {
      const t = parseTarget(text);
      return typeof t === 'string' ? [{ message: t, path: at(c.reach.to, 'to', i) }] : [];
    }),
  // Expecting isolation, a target with no route to it is a pass the evidence explains.
  routes: (c) =>
    c.expect.reachable
      ? list(c.reach.from).flatMap((from) =>
          list(c.reach.to).flatMap((text, i) => {
            const t = parseTarget(text);
            return typeof t === 'object' && t.service
              ? [{ from, to: t.service, port: t.port, path: at(c.reach.to, 'to', i) }]
              : [];
          }),
        )
      : [],
});
