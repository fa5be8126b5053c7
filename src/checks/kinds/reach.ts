import pLimit from 'p-limit';
import { z } from 'zod';
import type { PeerEndpoint, Replica } from '../runtime.js';
import { defineKind, type Outcome } from '../types.js';
import { connectFromInside, connectWaitMs, networkName, type Connection } from './tcp.js';

const OneOrMore = (what: string) =>
  z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).describe(what);

const ReachSpec = z
  .strictObject({
    from: OneOrMore(
      'The service(s) connecting, as topology/service; every replica of each connects from its own network namespace.',
    ),
    to: OneOrMore(
      'Addresses to connect to: "service:port" or "topology/service:port" (the service by its network name, the port as the container listens), or "host:port" for anything else (a host is written with a dot, an IP, [IPv6] or localhost).',
    ),
  })
  .describe('A reachability matrix: can every replica of each `from` connect to each `to`?');

const ReachExpect = z.strictObject({
  reachable: z
    .boolean()
    .default(true)
    .describe('true: every pair connects. false: none does (isolation, a partition).'),
});

interface Target {
  /** As written in the manifest. */
  text: string;
  /** The service reference, when the target is a service. */
  service?: string;
  /** The name or address nc connects to. */
  host: string;
  port: number;
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

const list = (v: string | string[]): string[] => (typeof v === 'string' ? [v] : v);
/** Where item i of a key that may be one string or a list is, for error positions. */
const at = (v: string | string[], key: string, i: number) =>
  typeof v === 'string' ? ['reach', key] : ['reach', key, i];

/** One cell of the matrix. */
interface Row {
  from: string;
  container: string;
  to: string;
  fromNode?: string;
  toNode?: string;
  /** Across nodes: the target container and the published address it was reached at. */
  via?: string;
  reachable: boolean;
  ms: number;
  error?: string;
}

/** Probes run at once, across every replica and target. */
const PARALLEL = 16;

export const reach = defineKind({
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
  async attempt(c, ctx) {
    const rt = ctx.runtime!;
    const expected = c.expect.reachable;
    const targets = list(c.reach.to).map((text) => parseTarget(text) as Target);
    const sources = list(c.reach.from).map((ref) => ({ ref, replicas: rt.replicas(ref) }));
    const idle = sources.find((s) => s.replicas.length === 0);
    if (idle)
      return { status: 'error', message: `${idle.ref} has no running container`, evidence: {} };

    const waitMs = connectWaitMs(c.timeout);
    const limit = pLimit(PARALLEL);
    // A service on another node is reached at each replica's published port there: a cell each.
    const endpoints = (r: Replica, t: Target): Promise<PeerEndpoint[]> =>
      t.service
        ? rt.peerAddresses(r, t.service, t.port, ctx.signal)
        : Promise.resolve([{ host: t.host, port: t.port, node: '' }]);
    const probe = (r: Replica, t: Target, to: PeerEndpoint) =>
      limit(async (): Promise<Row> => {
        const conn: Connection = await connectFromInside(rt, r, to.host, to.port, waitMs, ctx.signal);
        return {
          from: `${r.topology}/${r.service}`,
          container: r.containerName,
          to: t.text,
          ...(rt.multiNode && { fromNode: r.node, ...(to.node && { toNode: to.node }) }),
          ...(to.container && { via: `${to.container} at ${to.host}:${to.port}` }),
          reachable: conn.open,
          ms: conn.ms,
          ...(conn.error && { error: conn.error }),
        };
      });
    const cells = await Promise.all(
      sources.flatMap((s) =>
        s.replicas.flatMap((r) =>
          targets.map(async (t) => (await endpoints(r, t)).map((to) => probe(r, t, to))),
        ),
      ),
    );
    const matrix = await Promise.all(cells.flat());
    return judge(matrix, expected, c.any);
  },
});

/**
 * Every (from service, to) pair must agree with the expectation: each replica of the service,
 * or with `any`, one of them.
 */
function judge(matrix: Row[], expected: boolean, any: boolean): Outcome {
  const pairs = new Map<string, Row[]>();
  for (const row of matrix) {
    const key = `${row.from} → ${row.to}`;
    pairs.set(key, [...(pairs.get(key) ?? []), row]);
  }
  const wrong = [...pairs].filter(([, rows]) => {
    const agree = rows.filter((r) => r.reachable === expected).length;
    return any ? agree === 0 : agree < rows.length;
  });
  const evidence = { expect: expected ? 'reachable' : 'isolated', matrix };
  const what = expected ? 'reachable' : 'isolated';
  if (wrong.length === 0) {
    return { status: 'passed', message: `all ${pairs.size} pairs ${what}`, evidence };
  }
  const [key, rows] = wrong[0]!;
  const row = rows.find((r) => r.reachable !== expected)!;
  const detail = expected
    ? `unreachable from ${row.container} (${row.error})`
    : `reachable from ${row.container}`;
  const more = wrong.length > 1 ? `; and ${wrong.length - 1} more` : '';
  return {
    status: 'failed',
    message: `${wrong.length} of ${pairs.size} pairs are not ${what}: ${key} is ${detail}${more}`,
    evidence,
  };
}
