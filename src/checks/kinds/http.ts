import type { z } from 'zod';
import { parseJsonPath, subsetMismatch, valueAt } from '../../model/jsonpath.js';
import { excerpt, textMismatch } from '../../model/match.js';
import { acrossReplicas } from '../../live/replicas.js';
import { distributionHeader } from '../repeat.js';
import type { Runtime } from '../../live/runtime.js';
import type { Replica } from '../../model/refs.js';
import { httpSchema, type HttpExpect, type HttpRequest } from './http.schema.js';
import { defineKind, type CheckContext } from '../../live/check.js';
import type { Outcome } from '../../model/check.js';
import type { CommonCheck } from '../../model/common-check.js';

type Req = z.output<typeof HttpRequest>;
type Expect = z.output<typeof HttpExpect>;

type HttpCheck = z.output<z.ZodObject<(typeof httpSchema)['shape']>> & CommonCheck;

interface Response {
  url: string;
  via: string;
  /** The one container the request went to, when its address names one. */
  target?: string;
  status: number;
  headers: Record<string, string>;
  body: string;
  latencyMs: number;
}

export const http = defineKind({
  ...httpSchema,
  async attempt(c, ctx) {
    try {
      return await attemptHttp(c, ctx);
    } catch (e) {
      if (e instanceof NoAnswer) return { status: 'failed', message: e.message, evidence: {} };
      throw e;
    }
  },
});

async function attemptHttp(c: HttpCheck, ctx: CheckContext): Promise<Outcome> {
  {
    const req = c.http;
    const keep = distributionHeader(c);
    if (req.url && !req.from)
      return judge(await fetchFromRunner(req.url, req, ctx.signal), c.expect, keep);
    const rt = ctx.runtime!;
    if (req.from) {
      return acrossReplicas(rt.replicas(req.from), c.any, async (r) => {
        const peer = req.url ? undefined : await peerOf(rt, r, req, ctx.signal);
        const url = req.url ?? `http://${peer!.host}:${peer!.port}${req.path}`;
        const res = await fetchFromInside(rt, r, url, req, ctx.signal);
        return judge({ ...res, target: peer?.container }, c.expect, keep);
      });
    }
    return acrossReplicas(rt.replicas(req.service!), c.any, async (r) => {
      const addr = await rt.published(r, req.port!, 'tcp', ctx.signal);
      if (!addr) {
        return {
          status: 'error',
          message: `container port ${req.port} of ${r.containerName} is not published; publish it in compose, or probe from inside with \`from:\``,
          evidence: {},
        };
      }
      return judge(
        await fetchFromRunner(`http://${addr.host}:${addr.port}${req.path}`, req, ctx.signal),
        c.expect,
        keep,
      );
    });
  }
}

/** Where `from` sends the request: the service by name in its own topology, else one of its containers. */
async function peerOf(rt: Runtime, from: Replica, req: Req, signal: AbortSignal) {
  const [peer] = await rt.peerAddresses(from, req.service!, req.port!, signal);
  return peer!;
}

function requestBody(req: Req): { body?: string; headers: Record<string, string> } {
  if (req.json !== undefined)
    return {
      body: JSON.stringify(req.json),
      headers: { 'content-type': 'application/json', ...req.headers },
    };
  return { body: req.body, headers: req.headers };
}

/** A refused or reset connection is the service not answering: a failure, retried like any other. */
export class NoAnswer extends Error {}

async function fetchFromRunner(url: string, req: Req, signal: AbortSignal): Promise<Response> {
  const { body, headers } = requestBody(req);
  const t0 = performance.now();
  let res: globalThis.Response;
  try {
    res = await fetch(url, { method: req.method, headers, body, signal, redirect: 'manual' });
  } catch (e) {
    if (signal.aborted) throw e;
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    throw new NoAnswer(
      `no answer from ${url}: ${cause?.code ?? cause?.message ?? (e as Error).message}`,
    );
  }
  const text = await res.text();
  return {
    url,
    via: 'runner',
    status: res.status,
    headers: Object.fromEntries(res.headers),
    body: text,
    latencyMs: Math.round(performance.now() - t0),
  };
}

/** busybox wget in a probe sidecar: -S prints the response head on stderr. */
async function fetchFromInside(
  rt: Runtime,
  from: Replica,
  url: string,
  req: Req,
  signal: AbortSignal,
): Promise<Response> {
  const { body, headers } = requestBody(req);
  const cmd = [
    'wget',
    '-S',
    '-q',
    '-O',
    '-',
    ...Object.entries(headers).flatMap(([k, v]) => ['--header', `${k}: ${v}`]),
  ];
  if (req.method === 'POST') cmd.push('--post-data', body ?? '');
  cmd.push(url);
  const t0 = performance.now();
  const out = await rt.probe(from, cmd, signal);
  const latencyMs = Math.round(performance.now() - t0);
  const statusLine = [...out.stderr.matchAll(/^\s*HTTP\/[\d.]+ (\d{3})/gm)].pop();
  const head: Record<string, string> = {};
  for (const m of out.stderr.matchAll(/^\s+([A-Za-z0-9-]+):\s*(.*)$/gm))
    head[m[1]!.toLowerCase()] = m[2]!.trim();
  if (!statusLine) {
    throw new Error(
      `no HTTP answer from ${url} inside ${from.containerName}: ${out.stderr.trim() || `wget exited ${out.exitCode}`}`,
    );
  }
  return {
    url,
    via: from.containerName,
    status: Number(statusLine[1]),
    headers: head,
    body: out.stdout,
    latencyMs,
  };
}

function statusOk(status: number, e: Expect['status']): boolean {
  if (typeof e === 'number') return status === e;
  if (Array.isArray(e)) return e.includes(status);
  return Math.floor(status / 100) === Number(e[0]);
}

/** `keep`: a response header the evidence carries (what `repeat.distribution` reads). */
function judge(res: Response, e: Expect, keep?: string): Outcome {
  const evidence = {
    request: res.url,
    via: res.via,
    ...(res.target && { target: res.target }),
    status: res.status,
    latencyMs: res.latencyMs,
    body: excerpt(res.body),
    ...(keep !== undefined && res.headers[keep] !== undefined
      ? { headers: { [keep]: res.headers[keep] } }
      : {}),
  };
  const fail = (message: string): Outcome => ({ status: 'failed', message, evidence });
  if (!statusOk(res.status, e.status))
    return fail(`status ${res.status}, expected ${JSON.stringify(e.status)}`);
  for (const [name, m] of Object.entries(e.headers ?? {})) {
    const value = res.headers[name.toLowerCase()];
    if (value === undefined) return fail(`header ${name} is missing`);
    const miss = textMismatch(value, m);
    if (miss) return fail(`header ${name} ${miss}`);
  }
  if (e.body !== undefined) {
    const miss = textMismatch(res.body, e.body);
    if (miss) return fail(`body ${miss}`);
  }
  if (e.json !== undefined || e.jsonpath !== undefined) {
    let doc: unknown;
    try {
      doc = JSON.parse(res.body);
    } catch {
      return fail('body is not JSON');
    }
    if (e.json !== undefined) {
      const miss = subsetMismatch(doc, e.json);
      if (miss) return fail(`JSON body: ${miss}`);
    }
    for (const [path, expected] of Object.entries(e.jsonpath ?? {})) {
      const at = valueAt(doc, parseJsonPath(path) as (string | number)[]);
      if (!at.found) return fail(`JSON body has nothing at ${path}`);
      const miss = subsetMismatch(at.value, expected, path);
      if (miss) return fail(`JSON body: ${miss}`);
    }
  }
  if (e.within !== undefined && res.latencyMs > e.within.ms) {
    return fail(`answered in ${res.latencyMs}ms, over the ${e.within} bound`);
  }
  return { status: 'passed', message: `status ${res.status} in ${res.latencyMs}ms`, evidence };
}
