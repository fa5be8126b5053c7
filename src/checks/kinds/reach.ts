import pLimit from 'p-limit';
import type { PeerEndpoint, Replica } from '../runtime.js';
import { defineKind, type Outcome } from '../types.js';
import { connectFromInside, connectWaitMs, type Connection } from './tcp.js';
import { list, parseTarget, reachSchema, type Target } from './reach.schema.js';

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
  ...reachSchema,
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
        const conn: Connection = await connectFromInside(
          rt,
          r,
          to.host,
          to.port,
          waitMs,
          ctx.signal,
        );
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
