import { createServer } from 'node:http';
import { timeoutSignal } from './timeout.js';

/**
 * Makes one request to a loopback server of its own, so that the process's first real `fetch`
 * does not meet a race in Node's fetch (undici 6): the first request of a process sets its
 * HTTP parser up lazily, and a peer that accepts the connection and closes it at once meanwhile
 * (Docker 28's docker-proxy does that on a published port whose container has just restarted,
 * before the service listens) leaves that request pending until its own timeout: a retried
 * http check after a crash took 10 s instead of under one. Every later request fails at once
 * on such a close. Never rejects: without the warm-up nothing is lost but that.
 */
export async function warmFetch(): Promise<void> {
  const server = createServer((_, res) => res.end());
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', resolve);
    });
    const { port } = server.address() as { port: number };
    const res = await fetch(`http://127.0.0.1:${port}/`, { signal: timeoutSignal(5000) });
    await res.arrayBuffer();
  } catch {
    // Only a latency matter: see above.
  } finally {
    server.closeAllConnections();
    server.close();
  }
}
