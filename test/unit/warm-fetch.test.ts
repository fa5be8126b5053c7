/**
 * The first fetch of a process must not hang on a peer that accepts and closes at once (as
 * Docker 28's docker-proxy does on a port whose container has just restarted): after
 * warmFetch, such a request fails at once and the check's retry goes on.
 */
import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { warmFetch } from '../../src/common/warm-fetch.js';

let server: Server | undefined;
afterEach(() => server?.close());

describe('warmFetch', () => {
  it('leaves fetch failing at once, not at its timeout, on a connection closed right after accept', async () => {
    await warmFetch();
    server = createServer((s) => s.destroy());
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const { port } = server.address() as { port: number };
    const t0 = performance.now();
    const err = await fetch(`http://127.0.0.1:${port}/`, {
      signal: AbortSignal.timeout(5000),
    }).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(err).toBeInstanceOf(TypeError); // a network error, not the TimeoutError of the signal
    expect(performance.now() - t0).toBeLessThan(2000);
  });

  it('never rejects', async () => {
    await expect(warmFetch()).resolves.toBeUndefined();
  });
});
