/**
 * One conformance suite for the Engine interface (src/engine/engine.ts): the same calls and
 * the same assertions against the in-memory fake and against every real engine the test bed
 * runs (test/support/engines.ts: Docker 20.10, 26, 28, Podman 4 and 5), so the fake can stand
 * in for an engine and callers can rely on typed errors, never on an engine's wording.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NEWEST_API, OLDEST_API, compareApi } from '../../src/engine/api-version.js';
import { DockerEngine } from '../../src/engine/docker.js';
import type { ContainerEvent, CreateContainerRequest, Engine } from '../../src/engine/engine.js';
import { EngineError, type EngineErrorReason } from '../../src/engine/errors.js';
import { FakeEngine } from '../../src/engine/fake.js';
import { LABEL } from '../../src/common/labels.js';
import { service } from '../support/specs.js';
import { testEngines, type TestEngine } from '../support/engines.js';
import { holdPort } from '../support/hold-port.js';

const IMAGE = 'stackcheck-fixture/busybox:1';
const pos = { file: 'compose.yml', line: 1, column: 1 };

interface Subject {
  name: string;
  open(): Engine;
  /** Holds a host port as another process would, where the engine binds its published ports. */
  holdPort(engine: Engine, port: number): Promise<() => void>;
}

const fake: Subject = {
  name: 'fake',
  open: () => new FakeEngine({ node: 'fake', images: [IMAGE] }),
  holdPort: async (engine, port) => {
    (engine as FakeEngine).holdHostPort(port);
    return () => undefined;
  },
};

function real(t: TestEngine): Subject {
  return {
    name: t.name,
    open: () => new DockerEngine({ node: t.name, url: t.dockerHost }),
    holdPort: (_engine, port) => holdPort(port, t),
  };
}

const subjects: Subject[] = [fake, ...testEngines().map(real)];

/** The reason an engine call failed with; the call must fail. */
async function reasonOf(p: Promise<unknown>): Promise<EngineErrorReason | string> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (e === undefined) return 'succeeded';
  return e instanceof EngineError ? e.reason : `not an EngineError: ${String(e)}`;
}

describe.each(subjects)('Engine conformance: $name', (subject) => {
  const run = `conformance-${subject.name}-${process.pid}-${Date.now().toString(36)}`;
  const labels = { [LABEL.run]: run };
  let engine: Engine;
  let api: string;

  const request = (
    name: string,
    over: Partial<CreateContainerRequest> = {},
  ): CreateContainerRequest => ({
    name: `${run}-${name}`,
    image: IMAGE,
    service: service(name, {
      command: ['sh', '-c', 'trap "exit 0" TERM; while true; do sleep 0.2; done'],
      expose: [{ port: 7000, protocol: 'tcp' }],
      mounts: [{ type: 'volume', source: 'data', target: '/data', pos } as never],
    }),
    labels,
    networks: [{ name: `${run}-net`, aliases: [name] }],
    volumeNames: { data: `${run}-data` },
    ephemeralPorts: false,
    ...over,
  });

  beforeAll(async () => {
    engine = subject.open();
    const info = await engine.info(AbortSignal.timeout(15_000));
    api = info.apiVersion;
    // An engine without the fixture image gets it from the machine's, as images.carry does.
    if (!(await engine.imageExists(IMAGE))) {
      const local = new DockerEngine({ node: 'local', url: 'unix:///var/run/docker.sock' });
      await engine.loadImage(await local.saveImage(IMAGE));
      await local.close();
    }
    await engine.createNetwork({ name: `${run}-net`, spec: {} as never, labels });
    await engine.createVolume({ name: `${run}-data`, spec: {} as never, labels });
  });

  afterAll(async () => {
    if (!engine) return;
    for (const c of await engine.listContainers(labels)) await engine.removeContainer(c.id);
    for (const n of await engine.listNetworks(labels)) await engine.removeNetwork(n.id);
    for (const v of await engine.listVolumes(labels)) await engine.removeVolume(v.name);
    expect(await engine.listContainers(labels)).toEqual([]);
    expect(await engine.listNetworks(labels)).toEqual([]);
    expect(await engine.listVolumes(labels)).toEqual([]);
    await engine.close();
  });

  it('negotiates an API version within the supported range, at most the engine’s own', async () => {
    const info = await engine.info();
    expect(compareApi(info.apiVersion, OLDEST_API)).toBeGreaterThanOrEqual(0);
    expect(compareApi(info.apiVersion, NEWEST_API)).toBeLessThanOrEqual(0);
    const offered = info.engineApiVersion ?? info.apiVersion;
    expect(info.apiVersion).toBe(compareApi(offered, NEWEST_API) < 0 ? offered : NEWEST_API);
    console.info(
      `conformance ${subject.name}: engine ${info.version}, API offered ${offered}, talked ${api}`,
    );
  });

  it('images: one present, one absent', async () => {
    expect(await engine.imageExists(IMAGE)).toBe(true);
    expect(await engine.imageExists('stackcheck-fixture/absent:0')).toBe(false);
  });

  it('networks and volumes: exist, a duplicate network is a conflict, removal is idempotent', async () => {
    expect(await engine.networkExists(`${run}-net`)).toBe(true);
    expect(await engine.networkExists(`${run}-nope`)).toBe(false);
    expect(
      await reasonOf(engine.createNetwork({ name: `${run}-net`, spec: {} as never, labels })),
    ).toBe('conflict');
    const extra = await engine.createNetwork({ name: `${run}-extra`, spec: {} as never, labels });
    expect((await engine.listNetworks(labels)).map((n) => n.name).sort()).toEqual([
      `${run}-extra`,
      `${run}-net`,
    ]);
    await engine.removeNetwork(extra);
    await engine.removeNetwork(extra);
    expect((await engine.listVolumes(labels)).map((v) => v.name)).toEqual([`${run}-data`]);
    await engine.removeVolume(`${run}-never-made`);
  });

  it('a container’s life: create, a name taken, start, inspect, exec, archive, stop, remove', async () => {
    const id = await engine.createContainer(request('life'));
    expect(await reasonOf(engine.createContainer(request('life')))).toBe('conflict');
    expect(await reasonOf(engine.exec(id, { cmd: ['true'] }))).toBe('not-running');
    await engine.startContainer(id);
    await engine.startContainer(id); // already running: done
    const st = await engine.inspectContainer(id);
    expect(st).toMatchObject({
      id,
      name: `${run}-life`,
      status: 'running',
      running: true,
      oomKilled: false,
      exitCode: 0,
      labels: expect.objectContaining(labels),
    });
    // Podman names the image as it resolved the short name (localhost/…).
    expect(st.image).toMatch(/^(localhost\/)?stackcheck-fixture\/busybox:1$/);
    expect(st.pid).toBeGreaterThan(0);
    expect(st.imageId).toMatch(/^(sha256:)?[0-9a-f]{64}$/);
    expect(st.networks).toEqual([
      expect.objectContaining({ name: `${run}-net`, ipv4: expect.stringMatching(/^\d+\./) }),
    ]);
    expect(st.exposedPorts).toContainEqual({ port: 7000, protocol: 'tcp' });
    expect(st.config?.mounts).toContainEqual(
      expect.objectContaining({ type: 'volume', target: '/data', readOnly: false }),
    );
    expect(st.deviceRequests).toEqual([]);
    expect(st.health).toBeUndefined();

    if (!(engine instanceof FakeEngine)) {
      const r = await engine.exec(id, { cmd: ['sh', '-c', 'echo out; echo err >&2; exit 3'] });
      expect(r).toEqual({ exitCode: 3, stdout: 'out\n', stderr: 'err\n' });
    }
    expect(await reasonOf(engine.readArchive(id, '/no/such/path'))).toBe('not-found');

    await engine.pauseContainer(id);
    await engine.pauseContainer(id); // already paused: done
    expect((await engine.inspectContainer(id)).status).toBe('paused');
    await engine.unpauseContainer(id);
    await engine.unpauseContainer(id); // not paused: done

    await engine.stopContainer(id, 5_000);
    await engine.stopContainer(id, 5_000); // already stopped: done
    await engine.killContainer(id, 'SIGKILL'); // not running: done
    const stopped = await engine.inspectContainer(id);
    expect(stopped).toMatchObject({ status: 'exited', running: false });
    expect(stopped.networks?.map((n) => n.name)).toEqual([`${run}-net`]);
    expect(await reasonOf(engine.pauseContainer(id))).toBe('not-running');

    await engine.removeContainer(id);
    await engine.removeContainer(id); // gone: done
    expect(await reasonOf(engine.inspectContainer(id))).toBe('not-found');
    expect(await reasonOf(engine.inspectContainer(`${run}-never-made`))).toBe('not-found');
  });

  it('removals of one container at once each return once it is gone: its network can go next', async () => {
    // Two sweeps of one dead run (two CI jobs starting on one runner) remove the same
    // containers at once; Docker answers the second with "removal … already in progress".
    const net = await engine.createNetwork({ name: `${run}-race`, spec: {} as never, labels });
    const id = await engine.createContainer(
      request('race', { networks: [{ name: `${run}-race`, aliases: ['race'] }] }),
    );
    await engine.startContainer(id);
    const sweeps = [0, 1, 2].map(() =>
      engine.removeContainer(id).then(async () => {
        expect(await reasonOf(engine.inspectContainer(id))).toBe('not-found');
        await engine.removeNetwork(net);
      }),
    );
    await Promise.all(sweeps);
    expect(await engine.networkExists(`${run}-race`)).toBe(false);
  });

  it('a host port another process holds is port-in-use, naming the port', async () => {
    const port = 41_000 + Math.floor(Math.random() * 8_000);
    const release = await subject.holdPort(engine, port);
    try {
      const id = await engine.createContainer(
        request('taken', {
          service: service('taken', {
            command: ['sleep', '30'],
            ports: [{ target: 8080, published: port, protocol: 'tcp', pos }],
          }),
          volumeNames: {},
        }),
      );
      const err = await engine.startContainer(id).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(EngineError);
      expect(err).toMatchObject({ reason: 'port-in-use', port });
      await engine.removeContainer(id);
    } finally {
      release();
    }
  });

  it('events: start and die of a labelled container, by Actor id', async () => {
    const stop = new AbortController();
    const seen: ContainerEvent[] = [];
    const events = engine.containerEvents(labels, stop.signal);
    const id = await engine.createContainer(
      request('events', {
        service: service('events', { command: ['sh', '-c', 'sleep 0.3; exit 4'] }),
        volumeNames: {},
      }),
    );
    const started = Date.now();
    const collect = (async () => {
      for await (const e of events) {
        if (e.id !== id) continue;
        seen.push(e);
        if (e.action === 'die') break;
      }
    })();
    // The subscription is open before the start (the fake's at once; a real one at its first read).
    await new Promise((r) => setTimeout(r, subject === fake ? 0 : 300));
    await engine.startContainer(id);
    if (engine instanceof FakeEngine) engine.crash(id, 4);
    await Promise.race([collect, new Promise((r) => setTimeout(r, 15_000))]);
    stop.abort();
    expect(seen.map((e) => e.action)).toEqual(expect.arrayContaining(['start', 'die']));
    for (const e of seen) {
      expect(e.labels).toMatchObject(labels);
      if (!(engine instanceof FakeEngine)) expect(e.timeMs).toBeGreaterThan(started - 5_000);
    }
    expect((await engine.inspectContainer(id)).exitCode).toBe(4);
    await engine.removeContainer(id);
  });

  it('a task runs to its end and is removed; its output comes back', async () => {
    if (engine instanceof FakeEngine) engine.addImage(IMAGE);
    const r = await engine.runTask({
      name: `${run}-task`,
      image: IMAGE,
      cmd: ['sh', '-c', 'echo task-out; exit 0'],
      labels,
    });
    expect(r.exitCode).toBe(0);
    if (!(engine instanceof FakeEngine)) expect(r.stdout).toBe('task-out\n');
    expect((await engine.listContainers(labels)).map((c) => c.name)).not.toContain(`${run}-task`);
  });
});
