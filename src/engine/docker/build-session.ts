import type Docker from 'dockerode';
import { randomUUID } from 'node:crypto';
import type { Duplex } from 'node:stream';

/*
 * A BuildKit session for one build (POST /session, upgraded to HTTP/2, where stackcheck is the
 * gRPC *server* the builder calls back), as the docker CLI opens one for `docker build
 * --secret`: it answers the builder's GetSecret for the build's secrets, and its health checks
 * (BuildKit closes a session whose health check fails). The build itself is POST /build with
 * `version=2&session=<id>`. gRPC is loaded on first use (a dynamic import): most runs build
 * nothing with secrets.
 *
 * The messages are tiny, so they are written by hand rather than from .proto files:
 * GetSecretRequest { string ID = 1; map<string,string> annotations = 2; },
 * GetSecretResponse { bytes data = 1; }, HealthCheckResponse { ServingStatus status = 1; }.
 */

const SECRETS = '/moby.buildkit.secrets.v1.Secrets/GetSecret';
const HEALTH = '/grpc.health.v1.Health/Check';

function varint(n: number): Buffer {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return Buffer.from(out);
}

/** Field 1 (a string) of a protobuf message; the rest is skipped. */
export function firstStringField(msg: Buffer): string {
  let i = 0;
  while (i < msg.length) {
    const key = msg[i++]!;
    let len = 0;
    let shift = 0;
    const wire = key & 7;
    if (wire === 0) {
      while (msg[i++]! & 0x80);
      continue;
    }
    if (wire !== 2) break;
    for (;;) {
      const b = msg[i++]!;
      len |= (b & 0x7f) << shift;
      shift += 7;
      if (!(b & 0x80)) break;
    }
    if (key >> 3 === 1) return msg.subarray(i, i + len).toString('utf8');
    i += len;
  }
  return '';
}

/** A message whose field 1 is these bytes. */
export function bytesField(data: Buffer): Buffer {
  return Buffer.concat([Buffer.from([0x0a]), varint(data.length), data]);
}

export interface BuildSession {
  id: string;
  close(): void;
}

/** Opens the session; `secrets` maps the ids `RUN --mount=type=secret,id=…` asks for to values. */
export async function openBuildSession(
  docker: Docker,
  secrets: ReadonlyMap<string, Buffer>,
): Promise<BuildSession> {
  // A CommonJS package: bundled, its exports arrive as the namespace's default.
  const mod = await import('@grpc/grpc-js');
  const grpc = (mod.default ?? mod) as typeof mod.default;
  const id = randomUUID();
  const socket = await new Promise<Duplex>((resolve, reject) =>
    docker.modem.dial(
      {
        method: 'POST',
        path: '/session',
        hijack: true,
        headers: {
          Upgrade: 'h2c',
          Connection: 'Upgrade',
          'X-Docker-Expose-Session-Uuid': id,
          'X-Docker-Expose-Session-Name': 'stackcheck',
          'X-Docker-Expose-Session-Sharedkey': '',
          'X-Docker-Expose-Session-Grpc-Method': [SECRETS, HEALTH],
        },
        statusCodes: { 101: true, 200: true, 500: 'server error' },
      } as Parameters<Docker['modem']['dial']>[0],
      (err: unknown, s: unknown) => (err ? reject(err as Error) : resolve(s as Duplex)),
    ),
  );
  const server = new grpc.Server();
  const same = (b: Buffer) => b;
  const unary = (path: string) => ({
    path,
    requestStream: false,
    responseStream: false,
    requestSerialize: same,
    requestDeserialize: same,
    responseSerialize: same,
    responseDeserialize: same,
  });
  server.addService(
    { GetSecret: unary(SECRETS) },
    {
      GetSecret: (
        call: { request: Buffer },
        callback: (e: { code: number; details: string } | null, r?: Buffer) => void,
      ) => {
        const name = firstStringField(call.request);
        const value = secrets.get(name);
        if (value === undefined)
          callback({ code: grpc.status.NOT_FOUND, details: `secret ${name} not found` });
        else callback(null, bytesField(value));
      },
    },
  );
  server.addService(
    { Check: unary(HEALTH) },
    {
      // SERVING (1): the builder keeps the session open while it answers.
      Check: (_call: unknown, callback: (e: null, r: Buffer) => void) =>
        callback(null, Buffer.from([0x08, 0x01])),
    },
  );
  server.createConnectionInjector(grpc.ServerCredentials.createInsecure()).injectConnection(socket);
  return {
    id,
    close: () => {
      server.forceShutdown();
      socket.destroy();
    },
  };
}
