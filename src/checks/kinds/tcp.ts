import { connect as netConnect } from 'node:net';
import { performance } from 'node:perf_hooks';
import { acrossReplicas } from '../../live/replicas.js';
import { Unaddressable, type Runtime } from '../../live/runtime.js';
import type { Replica } from '../../model/refs.js';
import { defineKind } from '../../live/check.js';
import type { Outcome } from '../../model/check.js';
import { tcpSchema } from './tcp.schema.js';

/** What one connection attempt found. */
export interface Connection {
  open: boolean;
  /** Time to connect, or to give up. */
  ms: number;
  error?: string;
}

/**
 * How long one connection attempt may wait before it counts as unanswered: half the check's
 * attempt time (at least 1 s), so the verdict, with its evidence, comes before the time limit.
 */
export function connectWaitMs(timeoutMs: number): number {
  return Math.max(1000, Math.floor(timeoutMs / 2000) * 1000);
}

/**
 * Connects with nc from a probe sidecar in the replica's network namespace, to every address
 * at once, each bounded by the wait on its own. busybox builds differ: `nc -z` where it
 * exists, else connect and run `true` at once (`-e`); both exit 0 exactly when the connection
 * was made. /proc/uptime times each inside, without exec overhead. One line per address:
 * index, exit code, start, end, nc's last words.
 */
const NC_SCRIPT = `w=$1; shift
z=; if nc --help 2>&1 | grep -q -- -z; then z=1; fi
i=0
while [ $# -gt 1 ]; do
  (
    read t0 _ </proc/uptime
    if [ -n "$z" ]; then e=$(nc -z -w "$w" "$1" "$2" </dev/null 2>&1 >/dev/null)
    else e=$(nc -w "$w" "$1" "$2" -e true </dev/null 2>&1 >/dev/null); fi
    rc=$?
    read t1 _ </proc/uptime
    printf '%s %s %s %s %s\\n' "$i" "$rc" "$t0" "$t1" "$(printf '%s' "$e" | tail -n 1)"
  ) &
  i=$((i + 1)); shift 2
done
wait`;

const RESULT_LINE = /^(\d+) (\d+) ([\d.]+) ([\d.]+) ?(.*)$/;

export async function connectFromInside(
  rt: Runtime,
  from: Replica,
  host: string,
  port: number,
  waitMs: number,
  signal: AbortSignal,
): Promise<Connection> {
  return (await connectAllFromInside(rt, from, [{ host, port }], waitMs, signal))[0]!;
}

/** One probe from the replica to every address: one exec however many, so a matrix costs one a row. */
export async function connectAllFromInside(
  rt: Runtime,
  from: Replica,
  to: { host: string; port: number }[],
  waitMs: number,
  signal: AbortSignal,
): Promise<Connection[]> {
  const t0 = performance.now();
  const argv = ['sh', '-c', NC_SCRIPT, 'nc-probe', String(waitMs / 1000)];
  for (const a of to) argv.push(a.host, String(a.port));
  const res = await rt.probe(from, argv, signal);
  const wallMs = Math.round(performance.now() - t0);
  const found = new Map<number, Connection>();
  for (const line of res.stdout.split('\n')) {
    const m = RESULT_LINE.exec(line);
    if (!m) continue;
    const ms = Math.round((Number(m[4]) - Number(m[3])) * 1000);
    const rc = Number(m[2]);
    found.set(
      Number(m[1]),
      rc === 0 ? { open: true, ms } : { open: false, ms, error: m[5] || `nc exited ${rc}` },
    );
  }
  const said = res.stderr.trim().split('\n').pop();
  return to.map(
    (_, i) =>
      found.get(i) ?? {
        open: false,
        ms: wallMs,
        error: `the probe gave no answer for it (exit code ${res.exitCode}${said ? `: ${said}` : ''})`,
      },
  );
}

/**
 * A port proxy (Docker's userland proxy for published ports) accepts a connection even when
 * nothing listens behind it, then closes it at once. A connection still open after this long,
 * or one that sends data, counts as open.
 */
const SETTLE_MS = 200;

/** Connects from the runner itself. */
export function connectFromRunner(
  host: string,
  port: number,
  waitMs: number,
  signal: AbortSignal,
): Promise<Connection> {
  signal.throwIfAborted();
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const elapsed = () => Math.round(performance.now() - t0);
    let connectedMs: number | undefined;
    const sock = netConnect({ host, port });
    let done = false;
    const finish = (c: Connection | Error) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      sock.destroy();
      if (c instanceof Error) reject(c);
      else resolve(c);
    };
    const onAbort = () => finish(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    let timer = setTimeout(
      () => finish({ open: false, ms: elapsed(), error: `no answer within ${waitMs / 1000}s` }),
      waitMs,
    );
    const closedAtOnce = () =>
      finish({
        open: false,
        ms: connectedMs!,
        error:
          'accepted, then closed at once with nothing sent (a port proxy with nothing listening behind it)',
      });
    sock.once('connect', () => {
      connectedMs = elapsed();
      clearTimeout(timer);
      timer = setTimeout(() => finish({ open: true, ms: connectedMs! }), SETTLE_MS);
    });
    sock.once('data', () => finish({ open: true, ms: connectedMs! }));
    sock.once('end', closedAtOnce);
    sock.on('error', (e: NodeJS.ErrnoException) => {
      if (connectedMs !== undefined) return closedAtOnce();
      finish({ open: false, ms: elapsed(), error: e.code ?? e.message });
    });
  });
}

const noRoute = (e: Unaddressable): Connection => ({ open: false, ms: 0, error: e.message });

/** The verdict on one connection against `open`. */
function judge(
  address: string,
  via: string,
  c: Connection,
  open: boolean,
  target?: string,
): Outcome {
  const evidence = {
    address,
    via,
    ...(target && { target }),
    open: c.open,
    latencyMs: c.ms,
    ...(c.error && { error: c.error }),
  };
  const where = via === 'runner' ? address : `${address} from ${via}`;
  const message = c.open
    ? `${where} accepts connections${open ? ` (${c.ms}ms)` : ', expected it closed'}`
    : `${where} does not accept connections${open ? `: ${c.error}` : ` (${c.error}), as expected`}`;
  return { status: c.open === open ? 'passed' : 'failed', message, evidence };
}

/** A port the engine did not publish is one the runner cannot connect to. */
function unpublished(r: Replica, port: number, open: boolean): Outcome {
  const evidence = { address: null, via: 'runner', published: false, open: false };
  const why = `container port ${port} of ${r.containerName} is not published, so the runner cannot connect`;
  return open
    ? {
        status: 'failed',
        message: `${why}; publish it in compose, or connect from inside with \`from:\``,
        evidence,
      }
    : { status: 'passed', message: `${why}, as expected`, evidence };
}

export const tcp = defineKind({
  ...tcpSchema,
  async attempt(c, ctx) {
    const { service, host, port, from } = c.tcp;
    const open = c.expect.open;
    const waitMs = connectWaitMs(c.timeout.ms);
    const rt = ctx.runtime!;
    if (from) {
      return acrossReplicas(rt.replicas(from), c.any, async (r) => {
        let to;
        try {
          [to] = host
            ? [{ host, port, container: undefined }]
            : await rt.peerAddresses(r, service!, port, ctx.signal);
        } catch (e) {
          // No route to it at all: closed, which only an expectation of a closed port accepts.
          if (!(e instanceof Unaddressable)) throw e;
          return judge(`${service}:${port}`, r.containerName, noRoute(e), open);
        }
        const conn = await connectFromInside(rt, r, to!.host, to!.port, waitMs, ctx.signal);
        return judge(`${to!.host}:${to!.port}`, r.containerName, conn, open, to!.container);
      });
    }
    if (host) {
      const conn = await connectFromRunner(host, port, waitMs, ctx.signal);
      return judge(`${host}:${port}`, 'runner', conn, open);
    }
    return acrossReplicas(rt.replicas(service!), c.any, async (r) => {
      const addr = await rt.published(r, port, 'tcp', ctx.signal);
      if (!addr) return unpublished(r, port, open);
      const conn = await connectFromRunner(addr.host, addr.port, waitMs, ctx.signal);
      return judge(`${addr.host}:${addr.port}`, 'runner', conn, open);
    });
  },
});
