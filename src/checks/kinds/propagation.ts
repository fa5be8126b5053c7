import { randomBytes } from 'node:crypto';
import type { z } from 'zod';
import { formatDuration } from '../../common/duration.js';
import { errorMessage } from '../../common/errors.js';
import { readFileText } from '../../snapshot/files.js';
import { excerpt } from '../../model/match.js';
import type { Runtime } from '../../live/runtime.js';
import type { Replica } from '../../model/refs.js';
import { defineKind } from '../../live/check.js';
import type { Outcome } from '../../model/check.js';
import { propagationSchema, TOKEN, type See, type Write } from './propagation.schema.js';

/** The most of a file or an answer read when looking for the token. */
const READ_BYTES = 4 * 1024 * 1024;

type WriteSpec = z.output<typeof Write>;
type SeeSpec = z.output<typeof See>;

export const propagation = defineKind({
  ...propagationSchema,
  async attempt(c, ctx) {
    const rt = ctx.runtime!;
    const p = c.propagation;
    const token = `stackcheck-${randomBytes(6).toString('hex')}`;
    const writer = rt.replicas(p.write.service)[0];
    const readers = rt.replicas(p.see.service);
    if (!writer || !readers.length)
      return { status: 'error', message: 'the service has no running container', evidence: {} };
    const sinceMs = Date.now() - 60_000;
    const wrote = await write(rt, writer, p.write, token, ctx.signal);
    if (wrote) return wrote;
    const t0 = ctx.clock.now();
    const withinMs = p.within.ms;
    const intervalMs = p.interval.ms;
    const seenAfter = new Map<string, number>();
    /** The line each reader showed the token in. */
    const seenIn = new Map<string, string>();
    const last = new Map<string, string>();
    const failedLooks = new Map<string, { count: number; last: string }>();
    let polls = 0;
    const arrives = c.expect.arrives;
    // Sightings that end the watch: with `arrives`, every reader's (any: one); without, the
    // first one fails the check (any: only once every reader has shown it).
    const enough = arrives === !c.any ? readers.length : 1;
    for (;;) {
      polls++;
      for (const r of readers.filter((x) => !seenAfter.has(x.containerName))) {
        const text = await look(rt, r, p.see, sinceMs, ctx.signal).catch((e: unknown) => {
          const f = failedLooks.get(r.containerName);
          failedLooks.set(r.containerName, { count: (f?.count ?? 0) + 1, last: errorMessage(e) });
          return `(${errorMessage(e)})`;
        });
        if (text.includes(token)) {
          seenAfter.set(r.containerName, Math.round(ctx.clock.now() - t0));
          seenIn.set(
            r.containerName,
            excerpt(
              text.split('\n').find((l) => l.includes(token))!,
              300,
            ),
          );
        } else last.set(r.containerName, excerpt(text, 300));
      }
      const elapsed = ctx.clock.now() - t0;
      if (seenAfter.size >= enough || elapsed >= withinMs) break;
      await ctx.clock.sleep(Math.min(intervalMs, withinMs - elapsed), ctx.signal);
    }
    const delays = [...seenAfter.values()];
    const evidence = {
      token,
      wroteTo: `${writer.containerName} (node ${writer.node})`,
      seenOn: readers.map((r) => `${r.containerName} (node ${r.node})`),
      ...(delays.length && { delayMs: Math.max(...delays) }),
      delays: Object.fromEntries(seenAfter),
      ...(!arrives && seenIn.size && { seenIn: Object.fromEntries(seenIn) }),
      polls,
      ...(last.size && {
        lastSeen: Object.fromEntries([...last].filter(([k]) => !seenAfter.has(k))),
      }),
      ...(failedLooks.size && { failedLooks: Object.fromEntries(failedLooks) }),
    };
    const unseen = readers.filter((r) => !seenAfter.has(r.containerName));
    const names = (rs: Replica[]) => rs.map((r) => r.containerName).join(', ');
    if (!arrives) {
      if (seenAfter.size >= enough) {
        const sightings = readers
          .filter((r) => seenAfter.has(r.containerName))
          .map(
            (r) =>
              `on ${r.containerName} (node ${r.node}) ${place(p.see)} ${formatDuration(seenAfter.get(r.containerName)!)} after the write`,
          );
        return {
          status: 'failed',
          message: `the token arrived, and must not (expect: { arrives: false }): seen ${sightings.join('; ')}`,
          evidence,
        };
      }
      const blind = unseen.filter((r) => failedLooks.has(r.containerName));
      if (blind.length)
        return {
          status: 'error',
          message: `could not look for the token on ${blind
            .map((r) => {
              const f = failedLooks.get(r.containerName)!;
              return `${r.containerName} (${f.count} of ${polls} looks failed: ${f.last})`;
            })
            .join('; ')}, so it cannot be said that it never arrived`,
          evidence,
        };
      return {
        status: 'passed',
        message: `not seen on ${names(unseen)} ${place(p.see)} within ${p.within} (${polls} looks)`,
        evidence,
      };
    }
    if (seenAfter.size >= enough)
      return {
        status: 'passed',
        message: `visible on ${[...seenAfter.keys()].join(', ')} after ${formatDuration(Math.max(...delays))}`,
        evidence,
      };
    return {
      status: 'failed',
      message: `not visible on ${names(unseen)} within ${p.within} (${polls} looks)`,
      evidence,
    };
  },
});

/** Where a reader was looked at, in words. */
function place(s: SeeSpec): string {
  if (s.http)
    return `in GET :${s.http.port}${s.http.path.startsWith('/') ? '' : '/'}${s.http.path}`;
  if (s.file) return `in ${s.file}`;
  if (s.logs) return 'in its log';
  return `in the output of ${s.exec!.join(' ')}`;
}

/** Writes the token; an outcome when that could not be done (the check then ends). */
async function write(
  rt: Runtime,
  r: Replica,
  w: WriteSpec,
  token: string,
  signal: AbortSignal,
): Promise<Outcome | undefined> {
  const sub = (s: string) => s.split(TOKEN).join(token);
  if (w.http) {
    const url = await runnerUrl(rt, r, w.http.port, w.http.path, signal);
    const body = sub(w.http.body);
    let res: Response;
    try {
      res = await fetch(url, {
        method: w.http.method,
        headers: {
          'content-type': isJson(body) ? 'application/json' : 'text/plain',
          ...w.http.headers,
        },
        body,
        signal,
      });
    } catch (e) {
      if (signal.aborted) throw e;
      return {
        status: 'error',
        message: `the write failed: ${w.http.method} ${url}: ${errorMessage(e)}`,
        evidence: {},
      };
    }
    const answer = await res.text();
    if (res.ok) return undefined;
    return {
      status: 'error',
      message: `the write was refused: ${w.http.method} ${url} answered ${res.status}`,
      evidence: { body: excerpt(answer) },
    };
  }
  const cmd = w.file
    ? ['sh', '-c', 'mkdir -p "$(dirname "$1")" && printf "%s\\n" "$2" >> "$1"', 'sh', w.file, token]
    : w.exec!.map(sub);
  const res = await rt.engine(r.node).exec(r.containerId, { cmd }, signal);
  if (res.exitCode === 0) return undefined;
  return {
    status: 'error',
    message: `the write failed in ${r.containerName}: exit code ${res.exitCode}${w.file ? ' (writing a file needs sh in the image)' : ''}`,
    evidence: { command: cmd, stdout: excerpt(res.stdout), stderr: excerpt(res.stderr) },
  };
}

/** What the reader shows now, as text to find the token in. */
async function look(
  rt: Runtime,
  r: Replica,
  s: SeeSpec,
  sinceMs: number,
  signal: AbortSignal,
): Promise<string> {
  const engine = rt.engine(r.node);
  if (s.http) {
    const res = await fetch(await runnerUrl(rt, r, s.http.port, s.http.path, signal), { signal });
    return (await res.text()).slice(0, READ_BYTES);
  }
  if (s.file)
    return (
      (await readFileText(engine, r.containerId, s.file, READ_BYTES, signal)) ?? '(no such file)'
    );
  if (s.logs)
    return (await engine.containerLogLines(r.containerId, { sinceMs }, signal))
      .map((l) => l.text)
      .join('\n');
  const res = await engine.exec(r.containerId, { cmd: s.exec! }, signal);
  return res.stdout + res.stderr;
}

async function runnerUrl(rt: Runtime, r: Replica, port: number, path: string, signal: AbortSignal) {
  const at = await rt.published(r, port, 'tcp', signal);
  if (!at)
    throw new Error(
      `container port ${port} of ${r.containerName} is not published; publish it (ports: ["${port}"]) so the runner can reach it`,
    );
  return `http://${at.host}:${at.port}${path.startsWith('/') ? path : `/${path}`}`;
}

function isJson(s: string): boolean {
  try {
    JSON.parse(s);
    return true;
  } catch {
    return false;
  }
}
