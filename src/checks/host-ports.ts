import { createSocket } from 'node:dgram';
import { createServer, isIPv6 } from 'node:net';

/** Whether this machine could bind a host port now: what the engine will try when it publishes it. */
export type BindVerdict =
  | { free: true }
  | { free: false; code: string; message: string }
  /** Could not be judged from here (a privileged port without root, SCTP). */
  | { free: undefined; reason: string };

/**
 * Binds `port` on `ip` (every address when undefined) for an instant and lets it go.
 * EADDRINUSE means something else already listens there; EADDRNOTAVAIL that the address is
 * not one of this machine's.
 */
export async function tryBind(
  port: number,
  protocol: 'tcp' | 'udp' | 'sctp',
  ip: string | undefined,
): Promise<BindVerdict> {
  if (protocol === 'sctp')
    return { free: undefined, reason: 'SCTP ports cannot be probed from Node' };
  const host = ip ?? '0.0.0.0';
  try {
    if (protocol === 'tcp') await bindTcp(port, host);
    else await bindUdp(port, host);
    return { free: true };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'unknown';
    if (code === 'EACCES') {
      return { free: undefined, reason: `binding port ${port} needs privileges this runner lacks` };
    }
    if (code === 'EADDRINUSE') {
      return {
        free: false,
        code,
        message: `something on this machine already listens on ${host}:${port}/${protocol}`,
      };
    }
    if (code === 'EADDRNOTAVAIL') {
      return {
        free: false,
        code,
        message: `${host} is not an address of this machine, so the engine cannot publish on it`,
      };
    }
    return {
      free: false,
      code,
      message: `cannot bind ${host}:${port}/${protocol}: ${(e as Error).message}`,
    };
  }
}

function bindTcp(port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve()));
  });
}

function bindUdp(port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = createSocket(isIPv6(host) ? 'udp6' : 'udp4');
    socket.once('error', (e) => {
      socket.close();
      reject(e);
    });
    socket.bind({ port, address: host, exclusive: true }, () => socket.close(() => resolve()));
  });
}
