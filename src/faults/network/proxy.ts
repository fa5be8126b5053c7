/**
 * The user-space TCP proxy that stands in for netem where the kernel has none. It runs in a
 * helper container in the CLIENT's network namespace: iptables' `nat OUTPUT` redirects the
 * client's connections to each target ip:port to one local listener per target, and the proxy
 * forwards them to the real target, holding back what the client sends by the configured delay.
 *
 * Semantics (toxiproxy's latency, not netem's per-packet delay): every chunk the client sends
 * reaches the target `delayMs` (± `jitterMs`, order kept) later, so each request/response
 * exchange takes `delayMs` longer; what the target sends back is not delayed. With
 * `resetPercent`, that share of new connections is reset at once (a connection-level loss).
 *
 * It listens before it drops root, then runs as `uid`, the uid the iptables rules exempt: its
 * own connections to the targets are neither redirected back to it nor reset.
 */
export interface ProxyConfig {
  routes: { host: string; port: number }[];
  delayMs: number;
  jitterMs: number;
  resetPercent: number;
  /** Run as this uid (and gid) once listening; null keeps the current user (tests). */
  uid: number | null;
}

/** The uid the proxy runs as, and the iptables rules exempt. Not a uid services commonly use. */
export const PROXY_UID = 64_932;

/** The line the proxy prints once it listens: `READY {"host:port": localPort, …}`. */
export const READY = 'SC-PROXY-READY';

/** Node source run as `node -e SOURCE CONFIG_JSON`; CommonJS, built-ins only, node 16.17+. */
export const PROXY_SOURCE = String.raw`'use strict';
const net = require('net');
const cfg = JSON.parse(process.argv[1]);
const QUEUE_HIGH = 4 * 1024 * 1024;

function delayOf() {
  const j = cfg.jitterMs ? (Math.random() * 2 - 1) * cfg.jitterMs : 0;
  return Math.max(0, cfg.delayMs + j);
}

// Forwards what "from" sends to "to", each chunk held back by the delay; order is kept (a chunk
// never leaves before the one before it), and "from" is paused while much is waiting.
function delayed(from, to) {
  const queue = [];
  let last = 0;
  let bytes = 0;
  let timer = null;
  const flush = () => {
    timer = null;
    const now = Date.now();
    while (queue.length && queue[0].due <= now) {
      const item = queue.shift();
      if (item.end) to.end();
      else {
        bytes -= item.chunk.length;
        if (!to.destroyed) to.write(item.chunk);
      }
    }
    if (bytes < QUEUE_HIGH / 4 && from.isPaused()) from.resume();
    if (queue.length) timer = setTimeout(flush, Math.max(0, queue[0].due - Date.now()));
  };
  const push = (item) => {
    last = Math.max(last, Date.now() + delayOf());
    item.due = last;
    queue.push(item);
    if (!timer) timer = setTimeout(flush, Math.max(0, queue[0].due - Date.now()));
  };
  from.on('data', (chunk) => {
    bytes += chunk.length;
    push({ chunk });
    if (bytes > QUEUE_HIGH) from.pause();
  });
  from.on('end', () => push({ end: true }));
  from.on('close', () => {
    if (timer && to.destroyed) clearTimeout(timer);
  });
}

function reset(sock) {
  if (typeof sock.resetAndDestroy === 'function') sock.resetAndDestroy();
  else sock.destroy();
}

function serve(route) {
  return net.createServer({ allowHalfOpen: true }, (client) => {
    if (cfg.resetPercent > 0 && Math.random() * 100 < cfg.resetPercent) return reset(client);
    client.setNoDelay(true);
    const upstream = net.connect({ host: route.host, port: route.port, allowHalfOpen: true });
    upstream.setNoDelay(true);
    delayed(client, upstream);
    upstream.pipe(client);
    upstream.on('error', () => reset(client));
    client.on('error', () => upstream.destroy());
    upstream.on('close', () => { if (!client.destroyed && !client.writableEnded) client.end(); });
    client.on('close', () => upstream.destroy());
  });
}

const ports = {};
Promise.all(
  cfg.routes.map(
    (route) =>
      new Promise((resolve, reject) => {
        const server = serve(route);
        server.on('error', reject);
        server.listen(0, '127.0.0.1', () => {
          ports[route.host + ':' + route.port] = server.address().port;
          resolve();
        });
      }),
  ),
).then(
  () => {
    if (cfg.uid !== null) {
      process.setgid(cfg.uid);
      process.setuid(cfg.uid);
    }
    process.stdout.write('${READY} ' + JSON.stringify(ports) + '\n');
  },
  (err) => {
    process.stderr.write('proxy: ' + err.message + '\n');
    process.exit(1);
  },
);
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
`;

/** The local ports the proxy printed, or undefined while it has printed none. */
export function parseReady(logs: string): Record<string, number> | undefined {
  const m = new RegExp(`${READY} (\\{.*\\})`).exec(logs);
  return m ? (JSON.parse(m[1]!) as Record<string, number>) : undefined;
}
