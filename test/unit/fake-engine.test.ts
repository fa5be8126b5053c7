import { describe, expect, it } from 'vitest';
import type { ServiceSpec } from '../../src/compose/model.js';
import type { ContainerEvent, CreateContainerRequest } from '../../src/engine/engine.js';
import { FakeEngine } from '../../src/engine/fake.js';
import { EngineError, engineMessage } from '../../src/engine/engine.js';
import { FakeClock } from '../support/fake-clock.js';
import { service } from '../support/specs.js';
import { VirtualClock } from '../support/virtual-clock.js';

const IMAGE = 'img:1';
const pos = { file: 'test.yml', line: 1, column: 1 };
const healthcheck: ServiceSpec['healthcheck'] = { disable: false, test: ['CMD', 'true'], pos };

function request(
  name: string,
  over: Partial<ServiceSpec> = {},
  labels: Record<string, string> = {},
): CreateContainerRequest {
  return {
    name,
    image: IMAGE,
    service: service(over.name ?? name, over),
    labels: { 'io.stackcheck.run': 'r1', 'io.stackcheck.service': over.name ?? name, ...labels },
    networks: [{ name: 'net', aliases: [name] }],
    volumeNames: {},
    ephemeralPorts: false,
  };
}

async function engineWithNetwork(clock = new VirtualClock()) {
  const fake = new FakeEngine({ clock, images: [IMAGE] });
  await fake.createNetwork({
    name: 'net',
    spec: {
      name: 'net',
      driverOpts: {},
      internal: false,
      attachable: false,
      enableIpv6: false,
      labels: {},
      external: false,
      pos,
    },
    labels: { 'io.stackcheck.run': 'r1' },
  });
  return { fake, clock };
}

/** Collects the events a subscriber sees until `stop()`. */
function subscribe(fake: FakeEngine, labels: Record<string, string | true>) {
  const seen: ContainerEvent[] = [];
  const ctl = new AbortController();
  const done = (async () => {
    for await (const e of fake.containerEvents(labels, ctl.signal)) seen.push(e);
  })();
  return { seen, stop: async () => (ctl.abort(), await done) };
}

const flush = () => new Promise((r) => setImmediate(r));

describe('FakeEngine', () => {
  it('holds images: failed pulls leave none, a later pull brings it, each call is recorded', async () => {
    const clock = new FakeClock();
    const fake = new FakeEngine({ clock }).failPulls(2, 'registry down');
    fake.pullDelayMs = 700;
    expect(await fake.imageExists('busybox')).toBe(false);
    await expect(fake.pullImage('busybox')).rejects.toThrow('registry down');
    const err = await fake.pullImage('busybox').catch((e: unknown) => e);
    expect(engineMessage(err)).toBe('registry down');
    await fake.pullImage('busybox');
    // `busybox` and `busybox:latest` are one image, as the engine reads references.
    expect(await fake.imageExists('busybox:latest')).toBe(true);
    expect(clock.sleeps).toEqual([700, 700, 700]);
    expect(fake.callsTo('pullImage')).toEqual([
      { op: 'pullImage', target: 'busybox', atMs: 0, error: 'registry down' },
      { op: 'pullImage', target: 'busybox', atMs: 700, error: 'registry down' },
      { op: 'pullImage', target: 'busybox', atMs: 1400 },
    ]);
  });

  it('can report a pull as done without the image appearing, and fail builds', async () => {
    const fake = new FakeEngine({ clock: new FakeClock() })
      .pullLeavesNoImage('ghost:1')
      .failBuilds(1, 'COPY failed');
    await fake.pullImage('ghost:1');
    expect(fake.hasImage('ghost:1')).toBe(false);
    const build = {
      tag: 'b:1',
      build: { context: '/x', dockerfile: 'Dockerfile', args: {}, labels: {}, pos },
      labels: {},
    };
    await expect(fake.buildImage(build)).rejects.toThrow('COPY failed');
    await fake.buildImage(build);
    expect(fake.hasImage('b:1')).toBe(true);
  });

  it('moves a container through created, running, paused and exited, with Docker events', async () => {
    const { fake } = await engineWithNetwork();
    const sub = subscribe(fake, { 'io.stackcheck.run': 'r1' });
    const id = await fake.createContainer(request('web'));
    expect((await fake.inspectContainer(id)).status).toBe('created');
    await fake.startContainer(id);
    const running = await fake.inspectContainer(id);
    expect(running).toMatchObject({
      status: 'running',
      running: true,
      exitCode: 0,
      restartCount: 0,
    });
    expect(running.pid).toBeGreaterThan(0);
    await fake.pauseContainer(id);
    expect(await fake.inspectContainer(id)).toMatchObject({ status: 'paused', running: true });
    await fake.unpauseContainer(id);
    await fake.stopContainer(id, undefined);
    expect(await fake.inspectContainer(id)).toMatchObject({
      status: 'exited',
      running: false,
      exitCode: 0,
      pid: 0,
    });
    // Stopping or removing what is stopped or gone is harmless, as with the real engine;
    // pausing what is not running is not.
    await fake.stopContainer(id, undefined);
    await expect(fake.pauseContainer(id)).rejects.toMatchObject({ statusCode: 409 });
    await fake.removeContainer(id);
    await fake.removeContainer(id);
    await expect(fake.inspectContainer(id)).rejects.toMatchObject({ statusCode: 404 });
    await sub.stop();
    expect(sub.seen.map((e) => e.action)).toEqual([
      'create',
      'start',
      'pause',
      'unpause',
      'kill',
      'die',
      'stop',
      'destroy',
    ]);
    expect(sub.seen.find((e) => e.action === 'kill')!.labels).toMatchObject({
      signal: '15',
      name: 'web',
      image: IMAGE,
      'io.stackcheck.service': 'web',
    });
    expect(sub.seen.find((e) => e.action === 'die')!.labels.exitCode).toBe('0');
  });

  it('refuses what the real engine refuses: a missing image, a taken name, a missing network', async () => {
    const { fake } = await engineWithNetwork();
    await expect(fake.createContainer({ ...request('a'), image: 'nope:1' })).rejects.toThrow(
      'No such image: nope:1',
    );
    await fake.createContainer(request('a'));
    await expect(fake.createContainer(request('a'))).rejects.toMatchObject({ statusCode: 409 });
    await expect(
      fake.createContainer({ ...request('b'), networks: [{ name: 'gone', aliases: [] }] }),
    ).rejects.toThrow('network gone not found');
    expect(fake.callsTo('createContainer').map((c) => c.error)).toEqual([
      'No such image: nope:1',
      undefined,
      expect.stringContaining('is already in use'),
      'network gone not found',
    ]);
  });

  it('fails starts on purpose: refused by the engine, or the process exits with a code', async () => {
    const { fake } = await engineWithNetwork();
    fake
      .failStart('db', { error: 'OCI runtime create failed' }, 1)
      .failStart('app', { exitCode: 3 });
    const db = await fake.createContainer(request('db'));
    const err = await fake.startContainer(db).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EngineError);
    expect(await fake.inspectContainer(db)).toMatchObject({
      status: 'created',
      error: 'OCI runtime create failed',
    });
    await fake.startContainer(db); // only the first start was to fail
    expect((await fake.inspectContainer(db)).status).toBe('running');

    const app = await fake.createContainer(request('app'));
    await fake.startContainer(app); // the engine accepts it; the process dies at once
    expect(await fake.inspectContainer(app)).toMatchObject({ status: 'exited', exitCode: 3 });
    const appEvents = fake.events
      .filter((e) => e.id === app)
      .map((e) => [e.action, e.labels.exitCode]);
    expect(appEvents).toEqual([
      ['create', undefined],
      ['start', undefined],
      ['die', '3'],
    ]);
  });

  it('exits and turns healthy or unhealthy after delays on its clock, not in real time', async () => {
    const { fake, clock } = await engineWithNetwork();
    fake.failStart('crashy', { exitCode: 1, afterMs: 4000 });
    fake.setHealth('slow', { healthyAfterMs: 3000 }).setHealth('sick', { unhealthyAfterMs: 2000 });
    const ids = [await fake.createContainer(request('crashy'))];
    for (const n of ['slow', 'sick', 'quick'])
      ids.push(await fake.createContainer(request(n, { healthcheck })));
    for (const id of ids) await fake.startContainer(id);
    expect(fake.containers().map((c) => [c.name, c.status, c.health?.status])).toEqual([
      ['crashy', 'running', undefined],
      ['slow', 'running', 'starting'],
      ['sick', 'running', 'starting'],
      ['quick', 'running', 'healthy'],
    ]);
    await clock.sleep(5000);
    expect(clock.now()).toBe(5000);
    expect(fake.containers().map((c) => [c.name, c.status, c.health?.status])).toEqual([
      ['crashy', 'exited', undefined],
      ['slow', 'running', 'healthy'],
      ['sick', 'running', 'unhealthy'],
      ['quick', 'running', 'healthy'],
    ]);
    const timed = fake.events
      .filter((e) => e.action.startsWith('health_status') || e.action === 'die')
      .map((e) => [e.labels.name, e.action, e.timeMs]);
    expect(timed).toEqual([
      ['quick', 'health_status: healthy', 0],
      ['sick', 'health_status: unhealthy', 2000],
      ['slow', 'health_status: healthy', 3000],
      ['crashy', 'die', 4000],
    ]);
  });

  it('applies restart policies to crashes but not to kills or stops through the engine', async () => {
    const { fake, clock } = await engineWithNetwork();
    const restart = { policy: 'always' as const };
    const crashy = await fake.createContainer(request('crashy', { restart }));
    const killed = await fake.createContainer(request('killed', { restart }));
    await fake.startContainer(crashy);
    await fake.startContainer(killed);
    fake.crash(crashy);
    await fake.killContainer(killed, 'SIGKILL');
    expect(fake.container(crashy).status).toBe('restarting');
    await clock.sleep(1000);
    expect(await fake.inspectContainer(crashy)).toMatchObject({
      status: 'running',
      restartCount: 1,
    });
    expect(await fake.inspectContainer(killed)).toMatchObject({
      status: 'exited',
      exitCode: 137,
      restartCount: 0,
    });
    const kill = fake.events.find((e) => e.id === killed && e.action === 'kill')!;
    expect(kill.labels.signal).toBe('9');
    // The crash step's helper (kill -9 of the main pid from the host) is a crash too.
    const pid = (await fake.inspectContainer(crashy)).pid;
    await fake.runTask({
      name: 'crash',
      image: IMAGE,
      cmd: ['kill', '-9', String(pid)],
      labels: {},
      pidHost: true,
    });
    await clock.sleep(1000);
    expect(await fake.inspectContainer(crashy)).toMatchObject({
      status: 'running',
      restartCount: 2,
    });
  });

  it('kills a process that ignores SIGTERM only after its grace period', async () => {
    const { fake, clock } = await engineWithNetwork();
    fake.ignoreSigterm('stubborn');
    const id = await fake.createContainer(request('stubborn', { stopGracePeriodMs: 2000 }));
    await fake.startContainer(id);
    await fake.stopContainer(id, undefined);
    expect(clock.now()).toBe(2000);
    expect(
      fake.events.filter((e) => e.action === 'kill').map((e) => [e.labels.signal, e.timeMs]),
    ).toEqual([
      ['15', 0],
      ['9', 2000],
    ]);
    expect((await fake.inspectContainer(id)).exitCode).toBe(137);
  });

  it('finds resources by label and delivers events only to matching subscribers', async () => {
    const { fake } = await engineWithNetwork();
    await fake.createVolume({
      name: 'data',
      spec: { name: 'data', driverOpts: {}, labels: {}, external: false, pos },
      labels: { 'io.stackcheck.run': 'r1' },
    });
    const mine = subscribe(fake, { 'io.stackcheck.run': 'r1', 'io.stackcheck.service': 'a' });
    const any = subscribe(fake, { 'io.stackcheck.run': true });
    const a = await fake.createContainer(request('a'));
    await fake.createContainer(request('b', {}, { 'io.stackcheck.run': 'r2' }));
    await fake.startContainer(a);
    await flush();
    await mine.stop();
    await any.stop();
    expect(mine.seen.map((e) => `${e.labels.name}:${e.action}`)).toEqual(['a:create', 'a:start']);
    expect(any.seen.map((e) => `${e.labels.name}:${e.action}`)).toEqual([
      'a:create',
      'b:create',
      'a:start',
    ]);
    expect((await fake.listContainers({ 'io.stackcheck.run': 'r1' })).map((c) => c.name)).toEqual([
      'a',
    ]);
    expect(
      (await fake.listContainers({ 'io.stackcheck.service': true })).map((c) => c.name),
    ).toEqual(['a', 'b']);
    expect(fake.resources({ 'io.stackcheck.run': 'r1' })).toEqual({
      containers: ['a'],
      networks: ['net'],
      volumes: ['data'],
    });
    // A window reads recorded events back, then ends.
    const windowed: string[] = [];
    for await (const e of fake.containerEvents(
      { 'io.stackcheck.run': 'r1' },
      new AbortController().signal,
      { sinceMs: 0, untilMs: 0 },
    ))
      windowed.push(e.action);
    expect(windowed).toEqual(['create', 'start']);
  });

  it('refuses to remove a network with running containers or a volume in use, as teardown order must respect', async () => {
    const { fake } = await engineWithNetwork();
    await fake.createVolume({
      name: 'vol',
      spec: { name: 'data', driverOpts: {}, labels: {}, external: false, pos },
      labels: {},
    });
    const id = await fake.createContainer({
      ...request('db', {
        mounts: [
          { type: 'volume', source: 'data', target: '/data', readOnly: false, noCopy: false, pos },
        ],
      }),
      volumeNames: { data: 'vol' },
    });
    await fake.startContainer(id);
    const netId = (await fake.listNetworks({ 'io.stackcheck.run': 'r1' }))[0]!.id;
    await expect(fake.removeNetwork(netId)).rejects.toThrow(/active endpoints/);
    await expect(fake.removeVolume('vol')).rejects.toThrow(/in use/);
    await fake.removeContainer(id);
    await fake.removeNetwork(netId);
    await fake.removeVolume('vol');
    expect(fake.resources({})).toEqual({ containers: [], networks: [], volumes: [] });
  });

  it('publishes ports and refuses a host port another running container holds', async () => {
    const { fake } = await engineWithNetwork();
    const ports = [{ target: 8080, published: 8080, protocol: 'tcp' as const, pos }];
    const a = await fake.createContainer(request('a', { ports }));
    const b = await fake.createContainer(request('b', { ports }));
    await fake.startContainer(a);
    await expect(fake.startContainer(b)).rejects.toThrow(
      'Bind for 0.0.0.0:8080 failed: port is already allocated',
    );
    expect((await fake.inspectContainer(a)).ports).toEqual([
      { target: 8080, protocol: 'tcp', hostIp: '0.0.0.0', hostPort: 8080 },
    ]);
  });

  it('ends a live event stream when its signal aborts', async () => {
    const { fake } = await engineWithNetwork();
    const sub = subscribe(fake, {});
    await fake.createContainer(request('a'));
    await sub.stop();
    await fake.createContainer(request('b'));
    expect(sub.seen.map((e) => e.labels.name)).toEqual(['a']);
  });
});
