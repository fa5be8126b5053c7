import type Docker from 'dockerode';
import { randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import type { Duplex } from 'node:stream';
import type { ServerDuplexStream } from '@grpc/grpc-js';

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
const SSH_CHECK = '/moby.sshforward.v1.SSH/CheckAgent';
const SSH_FORWARD = '/moby.sshforward.v1.SSH/ForwardAgent';
/** The gRPC metadata key in which the builder names the ssh id it forwards (buildkit sshforward). */
const SSH_ID = 'buildkit.ssh.id';

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
  return firstField(msg).toString('utf8');
}

/** Field 1 (length-delimited) of a protobuf message, as bytes; empty when absent. */
export function firstField(msg: Buffer): Buffer {
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
    if (key >> 3 === 1) return msg.subarray(i, i + len);
    i += len;
  }
  return Buffer.alloc(0);
}

/** A message whose field 1 is these bytes. */
export function bytesField(data: Buffer): Buffer {
  return Buffer.concat([Buffer.from([0x0a]), varint(data.length), data]);
}

export interface BuildSession {
  id: string;
  close(): void;
}

/**
 * Opens the session; `secrets` maps the ids `RUN --mount=type=secret,id=…` asks for to values,
 * `agents` the ids `RUN --mount=type=ssh,id=…` asks for to ssh agent sockets.
 */
export async function openBuildSession(
  docker: Docker,
  secrets: ReadonlyMap<string, Buffer>,
  agents: ReadonlyMap<string, string> = new Map(),
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
          'X-Docker-Expose-Session-Grpc-Method': [
            SECRETS,
            HEALTH,
            ...(agents.size > 0 ? [SSH_CHECK, SSH_FORWARD] : []),
          ],
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
  if (agents.size > 0) {
    const agentOf = (metadata: { get(k: string): unknown[] }) =>
      agents.get(String(metadata.get(SSH_ID)[0] ?? 'default'));
    server.addService(
      {
        CheckAgent: unary(SSH_CHECK),
        ForwardAgent: { ...unary(SSH_FORWARD), requestStream: true, responseStream: true },
      },
      {
        CheckAgent: (
          call: { request: Buffer },
          callback: (e: { code: number; details: string } | null, r?: Buffer) => void,
        ) => {
          const name = firstStringField(call.request) || 'default';
          if (agents.has(name)) callback(null, Buffer.alloc(0));
          else callback({ code: grpc.status.NOT_FOUND, details: `no ssh agent for id ${name}` });
        },
        // The builder's agent protocol bytes, both ways, to and from the agent's socket.
        ForwardAgent: (call: ServerDuplexStream<Buffer, Buffer>) => {
          const path = agentOf(call.metadata);
          if (path === undefined) {
            call.destroy(new Error('no ssh agent for this id'));
            return;
          }
          const agent = connect(path);
          call.on('data', (m: Buffer) => agent.write(firstField(m)));
          call.on('end', () => agent.end());
          agent.on('data', (d: Buffer) => call.write(bytesField(d)));
          agent.on('end', () => call.end());
          agent.on('error', (e) => call.destroy(e));
        },
      },
    );
  }
  server.createConnectionInjector(grpc.ServerCredentials.createInsecure()).injectConnection(socket);
  return {
    id,
    close: () => {
      server.forceShutdown();
      socket.destroy();
    },
  };
}
