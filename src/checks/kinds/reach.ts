import type { Duration } from '../../common/duration.js';
import pLimit from 'p-limit';
import { Unaddressable, type PeerEndpoint } from '../../live/runtime.js';
import type { Replica } from '../../model/refs.js';
import { defineKind, isTimeout } from '../../live/check.js';
import type { Outcome } from '../../model/check.js';
import { connectAllFromInside, connectWaitMs, type Connection } from './tcp.js';
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
  /** How long the connection took, or took to fail; absent while pending. */
  ms?: number;
  error?: string;
  /** Still connecting when the check's time ran out: neither reachable nor not. */
  pending?: true;
}

/** Source replicas probing at once (each probe connects to all of its targets together). */
const PARALLEL = 16;

export const reach = defineKind({
  ...reachSchema,
  // Every source replica's probe sidecar is up before the check's time limit starts.
  async prepare(c, ctx) {
    const rt = ctx.runtime!;
    const all = list(c.reach.from).flatMap((ref) => rt.replicas(ref));
    await Promise.all(all.map((r) => rt.readyProbe(r, ctx.signal)));
  },
  async attempt(c, ctx) {
    const rt = ctx.runtime!;
    const expected = c.expect.reachable;
    const targets = list(c.reach.to).map((text) => parseTarget(text) as Target);
    const sources = list(c.reach.from).map((ref) => ({ ref, replicas: rt.replicas(ref) }));
    const idle = sources.find((s) => s.replicas.length === 0);
    if (idle)
      return { status: 'error', message: `${idle.ref} has no running container`, evidence: {} };

    const waitMs = connectWaitMs(c.timeout.ms);
    const limit = pLimit(PARALLEL);
    // Another topology's service is reached one container at a time: a cell each.
    const endpoints = async (r: Replica, t: Target): Promise<PeerEndpoint[] | Unaddressable> => {
      if (!t.service) return [{ host: t.host, port: t.port, node: '' }];
      try {
        return await rt.peerAddresses(r, t.service, t.port, ctx.signal);
      } catch (e) {
        if (e instanceof Unaddressable) return e;
        throw e;
      }
    };
    // No route to the target at all: unreachable, which only an expectation of isolation accepts.
    const noRoute = (r: Replica, t: Target, e: Unaddressable): Row => ({
      from: `${r.topology}/${r.service}`,
      container: r.containerName,
      to: t.text,
      reachable: false,
      ms: 0,
      error: e.message,
    });
    const cell = (r: Replica, t: Target, to: PeerEndpoint | undefined): Row => ({
      from: `${r.topology}/${r.service}`,
      container: r.containerName,
      to: t.text,
      ...(rt.multiNode && { fromNode: r.node, ...(to?.node && { toNode: to.node }) }),
      ...(to?.container && { via: `${to.container} at ${to.host}:${to.port}` }),
      reachable: false,
    });
    // What the check's time limit cut short stays in the matrix, marked pending.
    const pending = (r: Replica, t: Target, to?: PeerEndpoint): Row => ({
      ...cell(r, t, to),
      pending: true,
    });
    const cutShort = (e: unknown) => {
      if (!ctx.signal.aborted) throw e;
    };
    // A row of the matrix: one probe connects to all of the replica's targets at once.
    const row = async (r: Replica): Promise<Row[]> => {
      let planned: { t: Target; to: PeerEndpoint[] | Unaddressable }[];
      try {
        planned = await Promise.all(targets.map(async (t) => ({ t, to: await endpoints(r, t) })));
      } catch (e) {
        cutShort(e);
        return targets.map((t) => pending(r, t));
      }
      const ends = planned.flatMap(({ to }) => (to instanceof Unaddressable ? [] : to));
      let conns: Connection[] = [];
      try {
        if (ends.length)
          conns = await limit(() => connectAllFromInside(rt, r, ends, waitMs, ctx.signal));
      } catch (e) {
        cutShort(e);
      }
      let i = 0;
      return planned.flatMap(({ t, to }) =>
        to instanceof Unaddressable
          ? [noRoute(r, t, to)]
          : to.map((end) => {
              const conn = conns[i++];
              return conn
                ? {
                    ...cell(r, t, end),
                    reachable: conn.open,
                    ms: conn.ms,
                    ...(conn.error && { error: conn.error }),
                  }
                : pending(r, t, end);
            }),
      );
    };
    const matrix = (await Promise.all(sources.flatMap((s) => s.replicas.map(row)))).flat();
    if (!matrix.some((m) => m.pending)) return judge(matrix, expected, c.any);
    if (!isTimeout(ctx.signal)) throw ctx.signal.reason;
    return partial(matrix, expected, c.any, c.timeout);
  },
});

/** The check's time ran out: the cells that answered, judged, and those still pending. */
function partial(matrix: Row[], expected: boolean, any: boolean, timeout: Duration): Outcome {
  const waiting = matrix.filter((m) => m.pending);
  const answered = matrix.filter((m) => !m.pending);
  const first = waiting[0]!;
  const verdict = answered.length
    ? `of the ${answered.length} that answered: ${judge(answered, expected, any).message}`
    : 'none answered';
  return {
    status: 'failed',
    message: `no answer within ${timeout} from ${waiting.length} of ${matrix.length} cells (first: ${first.from} → ${first.to} from ${first.container}); ${verdict}`,
    evidence: { expect: expected ? 'reachable' : 'isolated', matrix },
  };
}

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
