import { performance } from 'node:perf_hooks';
import type { z } from 'zod';
import { errorMessage } from '../../common/errors.js';
import { excerpt, textMismatch, type TextMatch } from '../../model/match.js';
import { acrossReplicas } from '../../live/replicas.js';
import { defineKind, isTimeout } from '../../live/check.js';
import type { Outcome } from '../../model/check.js';
import { SseParser, type SseEvent } from './sse-parse.js';
import { sseSchema, type SseExpect } from './sse.schema.js';

type Expect = z.output<typeof SseExpect>;

/** What one connection saw. Times count from its request. */
interface ClientReport {
  client: number;
  status?: number;
  connectMs?: number;
  /** Events that count: of the expected type, matching, and within `within`. */
  events: number;
  /** Every event received. */
  received: number;
  firstEventMs?: number;
  /** The server ended the stream before the client was done. */
  dropped: boolean;
  closedMs?: number;
  /** How long the connection lasted, from its request. */
  durationMs?: number;
  /** The check's timeout ended the connection. */
  timedOut?: boolean;
  error?: string;
}

interface Sample {
  atMs: number;
  event: string;
  id: string;
  data: string;
}

const SAMPLE = 5;

export const sse = defineKind({
  ...sseSchema,
  async attempt(c, ctx) {
    const s = c.sse;
    if (s.url) return listenAll(s.url, s.headers, c.expect, ctx.signal);
    const rt = ctx.runtime!;
    return acrossReplicas(rt.replicas(s.service!), c.any, async (r): Promise<Outcome> => {
      const addr = await rt.published(r, s.port!, 'tcp', ctx.signal);
      if (!addr) {
        return {
          status: 'error',
          message: `container port ${s.port} of ${r.containerName} is not published; publish it in compose`,
          evidence: {},
        };
      }
      return listenAll(
        `http://${addr.host}:${addr.port}${s.path}`,
        s.headers,
        c.expect,
        ctx.signal,
      );
    });
  },
});

interface Plan {
  url: string;
  headers: Record<string, string>;
  expect: Expect;
  withinMs?: number;
  holdMs?: number;
}

async function listenAll(
  url: string,
  headers: Record<string, string>,
  e: Expect,
  signal: AbortSignal,
): Promise<Outcome> {
  const sample: Sample[] = [];
  const plan: Plan = {
    url,
    headers: { accept: 'text/event-stream', 'cache-control': 'no-cache', ...headers },
    expect: e,
    withinMs: e.within === undefined ? undefined : e.within.ms,
    holdMs: e.hold === undefined ? undefined : e.hold.ms,
  };
  const reports = await Promise.all(
    Array.from({ length: e.clients }, (_, i) =>
      listen(i + 1, plan, signal, i === 0 ? sample : undefined),
    ),
  );
  return judge(url, e, reports, sample);
}

/**
 * One connection: reads until it has the events it needs (or, with `hold`, until the hold
 * ends), until `within` passes, or until the server ends the stream.
 */
async function listen(
  client: number,
  plan: Plan,
  signal: AbortSignal,
  sample?: Sample[],
): Promise<ClientReport> {
  const report: ClientReport = { client, events: 0, received: 0, dropped: false };
  const { expect: e, holdMs, withinMs } = plan;
  const stop = new AbortController();
  const t0 = performance.now();
  const since = () => Math.round(performance.now() - t0);
  let timer: NodeJS.Timeout | undefined;
  try {
    const res = await fetch(plan.url, {
      headers: plan.headers,
      signal: AbortSignal.any([signal, stop.signal]),
    });
    report.status = res.status;
    report.connectMs = since();
    const type = res.headers.get('content-type') ?? '';
    if (!res.ok) throw new Refused(`status ${res.status}`);
    if (!/^text\/event-stream\b/i.test(type)) {
      throw new Refused(
        `content-type is ${type ? JSON.stringify(type) : 'missing'}, not text/event-stream`,
      );
    }
    const endAt = holdMs !== undefined ? report.connectMs + holdMs : withinMs;
    if (endAt !== undefined) timer = setTimeout(() => stop.abort(), Math.max(0, endAt - since()));
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    const parser = new SseParser();
    while (holdMs !== undefined || report.events < e.events) {
      const { done, value } = await reader.read();
      if (done) {
        report.dropped = true;
        report.closedMs = since();
        break;
      }
      for (const ev of parser.push(decoder.decode(value, { stream: true }))) {
        const atMs = since();
        report.received++;
        if (sample && sample.length < SAMPLE)
          sample.push({ atMs, event: ev.event, id: ev.id, data: excerpt(ev.data, 200) });
        if (!counts(ev, e.event, e.match) || (withinMs !== undefined && atMs > withinMs)) continue;
        report.events++;
        report.firstEventMs ??= atMs;
      }
    }
  } catch (err) {
    if (err instanceof Refused) report.error = err.message;
    else if (stop.signal.aborted) {
      // the hold or `within` ended: the client is done
    } else if (signal.aborted) {
      if (!isTimeout(signal)) throw err;
      report.timedOut = true;
    } else {
      report.dropped = report.connectMs !== undefined;
      if (report.dropped) report.closedMs = since();
      report.error = errorMessage(err);
    }
  } finally {
    clearTimeout(timer);
    stop.abort();
    report.durationMs = since();
  }
  return report;
}

/** An answer that is not an event stream. */
class Refused extends Error {}

function counts(ev: SseEvent, event: string | undefined, match: TextMatch | undefined): boolean {
  return (
    (event === undefined || ev.event === event) &&
    (match === undefined || textMismatch(ev.data, match) === undefined)
  );
}

const secs = (ms: number) => `${(ms / 1000).toFixed(1)}s`;

/** Why one connection fails the expectation, or undefined when it meets it. */
function problem(r: ClientReport, e: Expect): string | undefined {
  if (r.connectMs === undefined || (r.error && !r.dropped)) {
    return r.timedOut ? "no answer within the check's timeout" : (r.error ?? 'no answer');
  }
  if (r.events < e.events) {
    const by =
      e.within !== undefined
        ? `within ${e.within}`
        : r.closedMs !== undefined
          ? `before the server ended the stream at ${secs(r.closedMs)}`
          : r.timedOut
            ? "within the check's timeout"
            : '';
    const which = [e.event && `"${e.event}"`, e.match !== undefined && 'matching']
      .filter(Boolean)
      .join(' ');
    return `${r.events} of ${e.events} ${which ? `${which} ` : ''}events ${by}`.trimEnd();
  }
  if (r.dropped && e.hold !== undefined) {
    return `dropped at ${secs(r.closedMs!)}, before the ${e.hold} hold ended${r.error ? ` (${r.error})` : ''}`;
  }
  return undefined;
}

function judge(url: string, e: Expect, reports: ClientReport[], sample: Sample[]): Outcome {
  const drops = reports.filter((r) => r.dropped);
  const evidence = {
    url,
    clients: e.clients,
    expected: { events: e.events, event: e.event, match: e.match, within: e.within, hold: e.hold },
    drops: drops.length,
    connections: reports,
    firstEvents: sample,
  };
  const failing = reports.flatMap((r) => {
    const p = problem(r, e);
    return p ? [`client ${r.client}: ${p}`] : [];
  });
  if (failing.length === 0) {
    const firsts = reports.flatMap((r) => (r.firstEventMs === undefined ? [] : [r.firstEventMs]));
    const got =
      e.events > 0 ? `at least ${e.events} event${e.events === 1 ? '' : 's'}` : 'the stream';
    const first = firsts.length ? ` (first after ${Math.min(...firsts)}ms)` : '';
    const held = e.hold !== undefined ? `; held ${e.hold} with no drop` : '';
    const who = e.clients === 1 ? 'received' : `${e.clients} clients each received`;
    return { status: 'passed', message: `${who} ${got}${first}${held}`, evidence };
  }
  if (e.clients === 1)
    return { status: 'failed', message: failing[0]!.replace(/^client 1: /, ''), evidence };
  const head =
    e.hold !== undefined && drops.length
      ? `${drops.length} of ${e.clients} connections dropped before the ${e.hold} hold ended`
      : `${failing.length} of ${e.clients} clients failed`;
  const more = failing.length > 1 ? `; and ${failing.length - 1} more` : '';
  return { status: 'failed', message: `${head}; ${failing[0]}${more}`, evidence };
}
