import { Agent } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Client, ConnectConfig, ServerHostKeyAlgorithm } from 'ssh2';
import type { HostKeyCheck } from './known-hosts.js';

/** sshd's default MaxSessions is 10 channels per connection; stay under it. */
const CHANNELS_PER_CONNECTION = 8;
/** An ssh connection with no request on it for this long is closed, so the process can exit. */
const IDLE_MS = 5_000;

export interface SshDialOptions {
  connect: ConnectConfig;
  /** Judges the server's host key before anything is sent to it. */
  hostKeys: HostKeyCheck;
  /** The user's words for a key file ssh2 cannot open (a wrong passphrase, say). */
  keyError: (reason: string) => Error;
}

/** The host key algorithms ssh2 asks for by default, in its order (Node has Ed25519). */
const HOST_KEY_ALGORITHMS: ServerHostKeyAlgorithm[] = [
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'rsa-sha2-512',
  'rsa-sha2-256',
  'ssh-rsa',
];

interface Connection {
  client?: Client;
  ready: Promise<Client>;
  channels: number;
  idle?: NodeJS.Timeout;
}

/**
 * HTTP to a remote engine over ssh, as `docker -H ssh://` does it: each HTTP connection is a
 * `docker system dial-stdio` channel. dockerode's own ssh transport makes a new ssh connection
 * (key exchange, authentication) for every request; this one opens channels on a few shared
 * connections, about three times faster for the many small requests of a bring-up.
 */
export class SshDialAgent extends Agent {
  private readonly connections = new Set<Connection>();

  constructor(private readonly o: SshDialOptions) {
    super();
  }

  override createConnection(
    _options: unknown,
    callback: (err: Error | null, stream?: Duplex) => void,
  ): undefined {
    const c =
      [...this.connections].find((x) => x.channels < CHANNELS_PER_CONNECTION) ?? this.open();
    c.channels++;
    clearTimeout(c.idle);
    const release = () => {
      if (--c.channels > 0) return;
      c.idle = setTimeout(() => {
        // Out of the pool first, so that no request picks a connection that is ending.
        this.connections.delete(c);
        c.client?.end();
      }, IDLE_MS).unref();
    };
    const failed = (err: Error) => {
      release();
      callback(err);
    };
    c.ready.then((client) => {
      try {
        client.exec('docker system dial-stdio', (err, stream) => {
          if (err) return failed(err);
          stream.once('close', release);
          callback(null, stream);
        });
      } catch (e) {
        // ssh2 throws "Not connected" when the connection dropped since it was picked.
        failed(e as Error);
      }
    }, failed);
    return undefined;
  }

  /** What the host key check said since last asked (an accepted new key), once. */
  takeNotices(): string[] {
    return this.o.hostKeys.notices.splice(0);
  }

  override destroy(): void {
    super.destroy();
    for (const c of this.connections) c.client?.end();
    this.connections.clear();
  }

  private open(): Connection {
    // A connection that failed or closed takes no new channels; the next request opens another.
    const forget = () => {
      clearTimeout(c.idle);
      this.connections.delete(c);
    };
    const c: Connection = {
      channels: 0,
      // ssh2 is loaded on first use: most runs reach no ssh:// engine (the bundle keeps it apart).
      // It is CommonJS: its exports are the default export, under Node and in the bundle alike.
      ready: import('ssh2').then(
        ({ default: { Client } }: { default: typeof import('ssh2') }) =>
          new Promise<Client>((resolve, reject) => {
            // ssh2 says only "Host denied (verification failed)"; the check's own error says why.
            let refused: Error | undefined;
            const hostVerifier = (key: Buffer) => {
              try {
                this.o.hostKeys.verify(key);
                return true;
              } catch (e) {
                refused = e as Error;
                return false;
              }
            };
            const client = new Client();
            c.client = client;
            client.once('ready', () => resolve(client));
            client.once('error', (e) => reject(refused ?? e));
            client.on('error', forget).on('close', forget);
            try {
              // As ssh: the types of the keys already known are asked for first, so a server
              // with several host keys proves the one known_hosts holds.
              const preferred = this.o.hostKeys.preferredAlgorithms();
              const serverHostKey = [
                ...(preferred as ServerHostKeyAlgorithm[]),
                ...HOST_KEY_ALGORITHMS.filter((a) => !preferred.includes(a)),
              ];
              client.connect({ ...this.o.connect, hostVerifier, algorithms: { serverHostKey } });
            } catch (e) {
              const m = /^Cannot parse privateKey: (.*)/s.exec((e as Error).message);
              reject(m ? this.o.keyError(m[1]!) : e);
            }
          }),
      ),
    };
    c.ready.catch(forget);
    this.connections.add(c);
    return c;
  }
}
