/**
 * The Docker adapter against API versions no engine here runs: payloads of API 1.52 (Docker 29)
 * written from the Engine API documentation, the version negotiation against a stand-in
 * daemon on a unix socket, the create body per version, and the daemon wordings each engine
 * uses for the failures callers decide on.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type Docker from 'dockerode';
import { isUserError } from '../../src/common/errors.js';
import { negotiateApi, NEWEST_API } from '../../src/engine/api-version.js';
import { DockerEngine } from '../../src/engine/docker.js';
import { containerState, forApi } from '../../src/engine/docker/containers.js';
import { toEngineError } from '../../src/engine/docker/call.js';
import { parseEvent } from '../../src/engine/docker/events.js';
import { classifyFailure, EngineError } from '../../src/engine/errors.js';

const fixture = (name: string) =>
  readFileSync(new URL(`../fixtures/engine-api/${name}`, import.meta.url), 'utf8');

describe('API 1.52 payloads (Docker 29)', () => {
  it('reads events by Action and Actor.ID: 1.52 sends no status, id or from', () => {
    const events = fixture('events-1.52.jsonl').trim().split('\n').map(parseEvent);
    expect(events.map((e) => e?.action)).toEqual([
      'create',
      'start',
      'health_status: healthy',
      'oom',
      'die',
    ]);
    for (const e of events) {
      expect(e?.id).toBe('ede54ee1afda366ab42f824e8a5ffd195155d853ceaec74a927f249ea270c743');
      expect(e?.labels['io.stackcheck.run']).toBe('r1');
    }
    expect(events[0]!.timeMs).toBeCloseTo(1761900000123.4568, 3);
    expect(events[4]!.labels.exitCode).toBe('137');
  });

  it('an event of an older engine, with the deprecated fields too, reads the same', () => {
    const old = parseEvent(
      JSON.stringify({
        status: 'start',
        id: 'abc',
        from: 'busybox',
        Type: 'container',
        Action: 'start',
        Actor: { ID: 'abc', Attributes: { name: 'x' } },
        time: 1700000000,
        timeNano: 1700000000000000000,
      }),
    );
    expect(old).toEqual({ id: 'abc', action: 'start', labels: { name: 'x' }, timeMs: 1.7e12 });
  });

  it('reads an inspect answer without the top-level addresses that later engines dropped', () => {
    const st = containerState(
      JSON.parse(fixture('inspect-1.52.json')) as Docker.ContainerInspectInfo,
    );
    expect(st).toMatchObject({
      name: 'sc-x-web-1',
      status: 'running',
      pid: 4242,
      oomKilled: false,
      health: { status: 'healthy', failingStreak: 0, log: [{ exitCode: 0, output: 'ok' }] },
      networks: [{ name: 'sc-x-default', ipv4: '172.20.0.2', gateway: '172.20.0.1' }],
      ports: [
        { target: 8080, protocol: 'tcp', hostIp: '0.0.0.0', hostPort: 32768 },
        { target: 8080, protocol: 'tcp', hostIp: '::', hostPort: 32768 },
      ],
      exposedPorts: [{ port: 8080, protocol: 'tcp' }],
      stopSignal: 'SIGTERM',
      stopTimeoutSec: 5,
      deviceRequests: [],
    });
    expect(st.config?.mounts).toEqual([
      {
        type: 'volume',
        source: '/var/lib/docker/volumes/sc-x-data/_data',
        target: '/data',
        readOnly: false,
      },
    ]);
  });
});

describe('API version negotiation', () => {
  it('talks the engine’s version up to the newest stackcheck knows, and refuses below 1.41', () => {
    expect(negotiateApi('1.41')).toBe('1.41');
    expect(negotiateApi('1.45')).toBe('1.45');
    expect(negotiateApi('1.51')).toBe('1.51');
    expect(negotiateApi('1.54', '1.44')).toBe(NEWEST_API);
    expect(negotiateApi('1.40')).toBeUndefined();
    expect(negotiateApi('1.9')).toBeUndefined();
  });

  let server: Server | undefined;
  afterEach(() => server?.close());

  /** A stand-in daemon on a unix socket: answers /version with `api`, records every path. */
  async function daemon(api: string, version: string) {
    const paths: string[] = [];
    const socket = join(mkdtempSync(join(tmpdir(), 'sc-engine-api-')), 'd.sock');
    server = createServer((req, res) => {
      paths.push(req.url!);
      res.setHeader('content-type', 'application/json');
      if (req.url!.endsWith('/version'))
        res.end(JSON.stringify({ Version: version, ApiVersion: api, Os: 'linux' }));
      else if (req.url!.endsWith('/info'))
        res.end(
          JSON.stringify({ Runtimes: { runc: {} }, FirewallBackend: { Driver: 'nftables' } }),
        );
      else res.end('[]');
    });
    await new Promise<void>((r) => server!.listen(socket, r));
    return { url: `unix://${socket}`, paths };
  }

  it('asks /version unversioned, then prefixes every request with the version agreed', async () => {
    const d = await daemon('1.54', '29.2.0');
    const engine = new DockerEngine({ node: 'n29', url: d.url });
    const info = await engine.info();
    expect(info).toMatchObject({
      version: '29.2.0',
      apiVersion: NEWEST_API,
      engineApiVersion: '1.54',
      firewallBackend: 'nftables',
    });
    await engine.listContainers({});
    expect(d.paths[0]).toBe('/version');
    expect(d.paths.slice(1).every((p) => p.startsWith(`/v${NEWEST_API}/`))).toBe(true);
  });

  it('an engine older than API 1.41 is one paragraph naming the node, its address and both versions', async () => {
    const d = await daemon('1.40', '19.03.15');
    const engine = new DockerEngine({ node: 'old', url: d.url });
    const err = await engine.info().catch((e: unknown) => e);
    expect(isUserError(err)).toBe(true);
    const message = (err as { problems: { message: string }[] }).problems[0]!.message;
    expect(message).toBe(
      `the Docker engine of node "old" (${d.url}) is 19.03.15 with API 1.40, older than the oldest stackcheck supports (API 1.41, Docker 20.10): stackcheck talks API 1.41 to ${NEWEST_API}`,
    );
  });
});

describe('the create body per API version', () => {
  const body = {
    Image: 'x',
    MacAddress: '02:42:ac:11:00:02',
    Healthcheck: { Test: ['CMD', 'true'], StartInterval: 1e9 },
    NetworkingConfig: { EndpointsConfig: { net: { Aliases: ['web'] } } },
  } as Docker.ContainerCreateOptions;

  it('from 1.44 the MAC address goes to the first network’s endpoint, not Config', () => {
    const out = forApi(body, '1.44');
    expect(out.MacAddress).toBeUndefined();
    expect(out.NetworkingConfig?.EndpointsConfig?.net).toEqual({
      Aliases: ['web'],
      MacAddress: '02:42:ac:11:00:02',
    });
    expect(out.Healthcheck).toEqual(body.Healthcheck);
  });

  it('before 1.44 StartInterval is left out and MacAddress stays where 1.41 reads it', () => {
    const out = forApi(body, '1.41');
    expect(out.Healthcheck).toEqual({ Test: ['CMD', 'true'] });
    expect(out.MacAddress).toBe(body.MacAddress);
  });
});

describe('failures by reason, whatever the engine’s words', () => {
  const cases: [string, number, string, string, number?][] = [
    [
      'Docker 20.10, another container',
      500,
      'driver failed programming external connectivity on endpoint x (abc): Bind for 0.0.0.0:8080 failed: port is already allocated',
      'port-in-use',
      8080,
    ],
    [
      'Docker 20.10 userland proxy',
      500,
      'driver failed programming external connectivity on endpoint x (abc): Error starting userland proxy: listen tcp4 0.0.0.0:8081: bind: address already in use',
      'port-in-use',
      8081,
    ],
    [
      'Docker 28, bound in the daemon',
      500,
      'failed to set up container networking: driver failed programming external connectivity on endpoint x (abc): failed to bind host port for 0.0.0.0:8082:172.17.0.2:80/tcp: address already in use',
      'port-in-use',
      8082,
    ],
    [
      'Docker 28, IPv6',
      500,
      'failed to bind host port for [::]:8083:[fd00::2]:80/tcp: address already in use',
      'port-in-use',
      8083,
    ],
    [
      'Podman',
      500,
      'cannot listen on the TCP port: listen tcp4 :8084: bind: address already in use',
      'port-in-use',
      8084,
    ],
    ['Docker < 26, capitalised', 409, 'Container abc is not running', 'not-running'],
    ['Docker 26+, lower-case', 409, 'container abc is not running', 'not-running'],
    [
      'Podman, exec on a stopped container',
      500,
      'can only create exec sessions on running containers: container state improper',
      'not-running',
    ],
    [
      'Docker, name taken',
      409,
      'Conflict. The container name "/x" is already in use by container "abc".',
      'conflict',
    ],
    [
      'Podman, name taken',
      500,
      'creating container storage: the container name "x" is already in use by abc',
      'conflict',
    ],
    [
      'Podman, network exists',
      500,
      'network name x already used: network already exists',
      'conflict',
    ],
    ['gone', 404, 'No such container: abc', 'not-found'],
    ['already started', 304, '', 'already'],
    ['already paused', 409, 'Container abc is already paused', 'already'],
    [
      'Docker 29 and an old client',
      400,
      'client version 1.41 is too old. Minimum supported API version is 1.44, please upgrade your client to a newer version',
      'unsupported',
    ],
    [
      'no GPU driver',
      500,
      'could not select device driver "" with capabilities: [[gpu]]',
      'no-device',
    ],
    ['a daemon busy', 503, 'service unavailable', 'transient'],
  ];
  it.each(cases)('%s', (_what, status, message, reason, port) => {
    expect(classifyFailure(status, message)).toEqual({ reason, ...(port && { port }) });
  });

  it('a socket that does not answer is unavailable, naming the node; aborts pass as they are', () => {
    const gone = Object.assign(new Error('connect ENOENT /var/run/docker.sock'), {
      code: 'ENOENT',
    });
    const e = toEngineError(gone, 'main');
    expect(e).toBeInstanceOf(EngineError);
    expect(e).toMatchObject({ reason: 'unavailable', node: 'main' });
    const abort = new DOMException('The operation was aborted', 'AbortError');
    expect(toEngineError(abort, 'main')).toBe(abort);
  });
});
