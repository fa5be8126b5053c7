import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { connectFromRunner, connectWaitMs } from '../../src/checks/kinds/tcp.js';
import { networkName } from '../../src/checks/kinds/reach.schema.js';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

/** A local server doing `onConnection` with each connection; resolves to its port. */
async function serve(onConnection: (s: Socket) => void): Promise<number> {
  const server = createServer(onConnection);
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as { port: number }).port;
}

const live = () => new AbortController().signal;

describe('connecting from the runner', () => {
  it('finds a listening port open, with its connect time', async () => {
    const held: Socket[] = [];
    const port = await serve((s) => held.push(s));
    const c = await connectFromRunner('127.0.0.1', port, 2000, live());
    expect(c).toEqual({ open: true, ms: expect.any(Number) });
    expect(c.ms).toBeLessThan(1000);
    held.forEach((s) => s.destroy());
  });

  it('finds a port nothing listens on closed, with the reason', async () => {
    const port = await serve(() => {});
    await new Promise((r) => servers.pop()!.close(r));
    const c = await connectFromRunner('127.0.0.1', port, 2000, live());
    expect(c).toMatchObject({ open: false, error: 'ECONNREFUSED' });
  });

  it('does not count a connection a proxy accepts and drops at once as open', async () => {
    // What Docker's userland proxy does for a published port whose container does not listen.
    const port = await serve((s) => s.destroy());
    const c = await connectFromRunner('127.0.0.1', port, 2000, live());
    expect(c).toEqual({
      open: false,
      ms: expect.any(Number),
      error:
        'accepted, then closed at once with nothing sent (a port proxy with nothing listening behind it)',
    });
  });

  it('counts a server that greets and hangs up as open', async () => {
    const port = await serve((s) => s.end('220 ready\r\n'));
    expect((await connectFromRunner('127.0.0.1', port, 2000, live())).open).toBe(true);
  });

  it('gives up when the check is cancelled', async () => {
    const held: Socket[] = [];
    const port = await serve((s) => held.push(s));
    const ac = new AbortController();
    const pending = connectFromRunner('127.0.0.1', port, 5000, ac.signal);
    ac.abort(new Error('cancelled'));
    await expect(pending).rejects.toThrow('cancelled');
    held.forEach((s) => s.destroy());
  });
});

describe('tcp helpers', () => {
  it('waits half the attempt for a connection, in whole seconds, at least one', () => {
    expect(connectWaitMs(10_000)).toBe(5000);
    expect(connectWaitMs(3_000)).toBe(1000);
    expect(connectWaitMs(500)).toBe(1000);
    expect(connectWaitMs(60_000)).toBe(30_000);
  });

  it('reaches a service by its own name, without the topology', () => {
    expect(networkName('main/api')).toBe('api');
    expect(networkName('api')).toBe('api');
  });
});
