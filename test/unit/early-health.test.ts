/**
 * Readiness as soon as it is true: while a service with a healthcheck starts, stackcheck runs
 * its healthcheck command itself (compose's `start_interval`), so a dependent need not wait for
 * the engine's next healthcheck tick. On the in-memory engine with virtual time.
 */
import { describe, expect, it } from 'vitest';
import type { ServiceSpec } from '../../src/compose/model.js';
import type { Engine, ExecRequest } from '../../src/engine/engine.js';
import { realClock } from '../../src/common/clock.js';
import { FakeEngine } from '../../src/engine/fake.js';
import { run } from '../../src/run.js';
import { probeUntilHealthy, whileStarting } from '../../src/orchestrator/early-health.js';
import { service, suite, topology } from '../support/specs.js';
import { VirtualClock } from '../support/virtual-clock.js';

const pos = { file: 'test.yml', line: 1, column: 1 };
const IMAGE = 'stackcheck-fixture/busybox:1';
const healthcheck: ServiceSpec['healthcheck'] = {
  disable: false,
  test: ['CMD-SHELL', 'wget -q -O /dev/null http://localhost:8080/'],
  intervalMs: 30_000,
  pos,
};
const healthy = (...names: string[]): ServiceSpec['dependsOn'] =>
  Object.fromEntries(
    names.map((n) => [n, { condition: 'service_healthy', required: true, pos }] as const),
  );

async function up(fake: FakeEngine, clock: VirtualClock, services: ServiceSpec[]) {
  const t = { ...topology('t', services), stableMs: 0, waitTimeoutMs: 120_000 };
  const results = await run(suite([t]), { engineFactory: () => fake, clock });
  const startAt = Object.fromEntries(
    fake.callsTo('startContainer').map((c) => [c.target.split('-').at(-2)!, c.atMs]),
  );
  return { results, startAt, services: results.topologies[0]!.services };
}

describe('early healthcheck probes during start', () => {
  it('starts a dependent when the healthcheck passes, not at the engine’s next tick, and says who said healthy', async () => {
    const clock = new VirtualClock();
    // db answers after 300 ms; the engine would report it only at its first tick, 30 s in.
    const fake = new FakeEngine({ clock, images: [IMAGE] }).setHealth('db', {
      healthyAfterMs: 300,
      reportedAfterMs: 30_000,
    });
    const { results, startAt, services } = await up(fake, clock, [
      service('db', { healthcheck }),
      service('api', { dependsOn: healthy('db') }),
    ]);
    expect(results.topologies[0]!.status).toBe('passed');
    expect(startAt.api! - startAt.db!).toBeGreaterThanOrEqual(300);
    expect(startAt.api! - startAt.db!).toBeLessThan(1000);
    expect(services.find((s) => s.name === 'db')).toMatchObject({
      status: 'healthy',
      health: 'healthy',
      healthSource: 'probe',
    });
  });

  it('runs the healthcheck command as the engine does: the same argv, the container’s own user', async () => {
    const clock = new VirtualClock();
    const fake = new FakeEngine({ clock, images: [IMAGE] });
    fake.setHealth('db', { healthyAfterMs: 200, reportedAfterMs: 30_000 });
    const seen: ExecRequest[] = [];
    const exec = fake.exec.bind(fake);
    fake.exec = (id, req) => (seen.push(req), exec(id, req));
    await up(fake, clock, [service('db', { healthcheck, user: 'app' })]);
    expect(seen.length).toBeGreaterThan(1);
    // No user, environment or directory of its own: exec's defaults are the container's, as
    // for the engine's healthcheck (which runs as the container's configured user).
    for (const req of seen)
      expect(req).toEqual({
        cmd: ['/bin/sh', '-c', 'wget -q -O /dev/null http://localhost:8080/'],
      });
  });

  it('counts nothing healthy that the command does not pass: an unhealthy service still fails', async () => {
    const clock = new VirtualClock();
    const fake = new FakeEngine({ clock, images: [IMAGE] }).setHealth('db', {
      unhealthyAfterMs: 5000,
    });
    const { results, startAt, services } = await up(fake, clock, [
      service('db', { healthcheck }),
      service('api', { dependsOn: healthy('db') }),
    ]);
    expect(results.topologies[0]!.status).toBe('failed');
    expect(results.topologies[0]!.failure?.message).toMatch(/"db" is unhealthy/);
    expect(startAt.api).toBeUndefined();
    expect(services.find((s) => s.name === 'db')?.healthSource).toBeUndefined();
  });

  it('calls a service unhealthy itself where the engine runs no healthcheck, once the engine would have', async () => {
    const clock = new VirtualClock();
    // The engine never runs the healthcheck (Podman without systemd); the command never passes.
    const fake = new FakeEngine({ clock, images: [IMAGE] }).setHealth('db', {
      healthyAfterMs: Infinity,
      reportedAfterMs: Infinity,
    });
    const { results, startAt, services } = await up(fake, clock, [
      service('db', { healthcheck: { ...healthcheck, intervalMs: 1000, retries: 2 } }),
      service('api', { dependsOn: healthy('db') }),
    ]);
    const failure = results.topologies[0]!.failure!;
    expect(failure.message).toMatch(/"db" is unhealthy/);
    expect(failure.details[0]).toMatch(
      /^the engine ran none of its healthchecks in [\d.]+s .*; stackcheck ran the healthcheck \d+ times and it failed every time$/,
    );
    expect(failure.details).toContain('    exit 1: (no output)');
    // Not before the engine would have said it: retries + 1 intervals.
    const failedAt = fake.callsTo('inspectContainer').at(-1)!.atMs;
    expect(failedAt - startAt.db!).toBeGreaterThanOrEqual(3000);
    expect(failedAt - startAt.db!).toBeLessThan(5000);
    expect(startAt.api).toBeUndefined();
    expect(services.find((s) => s.name === 'db')).toMatchObject({ health: 'unhealthy' });
  });

  it('takes the engine’s word when it comes first, and probes nothing without a healthcheck', async () => {
    const clock = new VirtualClock();
    const fake = new FakeEngine({ clock, images: [IMAGE] });
    fake.onExec(() => ({ exitCode: 1, stdout: '', stderr: '' }));
    const { services } = await up(fake, clock, [
      service('db', { healthcheck: { ...healthcheck, test: ['NONE'] } }),
      service('web'),
    ]);
    expect(services.find((s) => s.name === 'db')).toMatchObject({
      status: 'healthy',
      healthSource: 'engine',
    });
    expect(fake.callsTo('exec')).toEqual([]);
  });

  it('stops probing a container whose probe outlived the healthcheck timeout: the engine decides', async () => {
    // Real time: the exec's timeout is a real timer. The engine says healthy 400 ms in; an exec
    // answers only when given up on, 20 ms later. Probing on would exec again 100, 150, 225 ms on.
    const fake = new FakeEngine({ clock: realClock, images: [IMAGE] }).setHealth('db', {
      healthyAfterMs: 0,
      reportedAfterMs: 400,
    });
    let execs = 0;
    const hang: Engine['exec'] = (_id, _req, signal) => {
      execs++;
      return new Promise((_, reject) =>
        signal!.addEventListener('abort', () => reject(signal!.reason), { once: true }),
      );
    };
    Object.assign(fake, { exec: hang });
    const t = {
      ...topology('t', [service('db', { healthcheck: { ...healthcheck, timeoutMs: 20 } })]),
      stableMs: 0,
      waitTimeoutMs: 10_000,
    };
    const results = await run(suite([t]), { engineFactory: () => fake, clock: realClock });
    expect(results.topologies[0]!.services[0]).toMatchObject({
      status: 'healthy',
      healthSource: 'engine',
    });
    expect(execs).toBe(1);
  });

  it('runs no probe while a start is under way on the engine, and probes once the last start returns', async () => {
    // An exec slows the engine's other starts; a bring-up ends with its last service.
    const clock = new VirtualClock();
    const fake = new FakeEngine({ clock, images: [IMAGE] })
      .setHealth('a', { healthyAfterMs: 0, reportedAfterMs: 30_000 })
      .setHealth('b', { healthyAfterMs: 0, reportedAfterMs: 30_000 });
    const start = fake.startContainer.bind(fake);
    let bStartReturned = Infinity;
    fake.startContainer = async (id) => {
      const slow = (await fake.inspectContainer(id)).name.includes('-b-');
      if (slow) await clock.sleep(2000);
      await start(id);
      if (slow) bStartReturned = clock.now();
    };
    const execAt: number[] = [];
    const exec = fake.exec.bind(fake);
    fake.exec = (id, req) => (execAt.push(clock.now()), exec(id, req));
    const { services } = await up(fake, clock, [
      service('a', { healthcheck }),
      service('b', { healthcheck }),
    ]);
    expect(bStartReturned).toBeGreaterThanOrEqual(2000);
    expect(execAt.length).toBeGreaterThanOrEqual(2);
    expect(Math.min(...execAt)).toBeGreaterThanOrEqual(bStartReturned);
    for (const s of services) expect(s).toMatchObject({ status: 'healthy', healthSource: 'probe' });
  });

  it('a probe waiting for starts gives up with its signal’s reason, having run nothing', async () => {
    const fake = new FakeEngine({ clock: realClock, images: [IMAGE] });
    let execs = 0;
    fake.exec = () => (execs++, Promise.resolve({ exitCode: 0, stdout: '', stderr: '' }));
    let release!: () => void;
    const starting = whileStarting(fake, () => new Promise<void>((r) => (release = r)));
    const stop = new AbortController();
    const probe = probeUntilHealthy(fake, 'c1', healthcheck!, realClock, stop.signal);
    stop.abort(new Error('wait deadline'));
    await expect(probe).rejects.toThrow('wait deadline');
    release();
    await starting;
    expect(execs).toBe(0);
  });
});

describe('creates while dependencies come up', () => {
  const at = (fake: FakeEngine, op: string, name: string) =>
    fake.callsTo(op).find((c) => c.target.includes(`-${name}-`))!.atMs;

  it('creates a dependent at once and starts it only when its dependency is healthy', async () => {
    const clock = new VirtualClock();
    const fake = new FakeEngine({ clock, images: [IMAGE] }).setHealth('db', {
      healthyAfterMs: 2000,
    });
    await up(fake, clock, [
      service('db', { healthcheck }),
      service('api', { dependsOn: healthy('db') }),
    ]);
    expect(at(fake, 'createContainer', 'api')).toBeLessThan(at(fake, 'startContainer', 'db') + 1);
    expect(
      at(fake, 'startContainer', 'api') - at(fake, 'startContainer', 'db'),
    ).toBeGreaterThanOrEqual(2000);
  });

  it('creates one that joins another service’s network only once that one has started', async () => {
    const clock = new VirtualClock();
    const fake = new FakeEngine({ clock, images: [IMAGE] }).setHealth('db', {
      healthyAfterMs: 2000,
    });
    await up(fake, clock, [
      service('db', { healthcheck }),
      service('sidecar', { networkMode: 'service:db', dependsOn: healthy('db') }),
    ]);
    expect(
      at(fake, 'createContainer', 'sidecar') - at(fake, 'startContainer', 'db'),
    ).toBeGreaterThanOrEqual(2000);
  });

  it('a `state: healthy` check right after bring-up agrees: the healthcheck passes though the engine still says starting', async () => {
    const clock = new VirtualClock();
    const fake = new FakeEngine({ clock, images: [IMAGE] }).setHealth('db', {
      healthyAfterMs: 300,
      reportedAfterMs: 30_000,
    });
    const t = { ...topology('t', [service('db', { healthcheck })]), stableMs: 0 };
    const check = (healthy: boolean, index: number) => ({
      index,
      name: `db healthy: ${healthy}`,
      kind: 'state',
      phase: 'live' as const,
      entry: { name: 'db', state: { service: 'db', healthy }, any: false } as never,
      timeoutMs: 5_000,
      serial: false,
      pos,
      targets: ['t/db'],
    });
    const results = await run(
      { ...suite([t]), checks: [check(true, 0), check(false, 1)] },
      { engineFactory: () => fake, clock },
    );
    expect(
      results.checks.map((c) => [c.status, c.evidence.health, c.evidence.healthSource]),
    ).toEqual([
      ['passed', 'healthy', 'probe'],
      // Not asked to be healthy: the engine's own word stands, and nothing is probed.
      ['passed', 'starting', undefined],
    ]);
  });
});
