/**
 * The orchestration rules (seed 001, "Layer C"), on the in-memory engine with controlled time:
 * pull/build retries with backoff, a failed start rolled back, tier-ordered restart, user-stopped
 * services left alone, and a bound on attempts. Nothing here sleeps for real.
 */
import { describe, expect, it } from 'vitest';
import type { Clock } from '../../src/common/clock.js';
import { UserError, type Problem } from '../../src/common/errors.js';
import type { ServiceSpec } from '../../src/compose/model.js';
import { EngineError, type CreateContainerRequest } from '../../src/engine/engine.js';
import { buildRetryable, pullRetryable } from '../../src/engine/errors.js';
import { FakeEngine } from '../../src/engine/fake.js';
import { loadSuite } from '../../src/manifest/load.js';
import type { Suite, TopologySpec } from '../../src/model/suite.js';
import { LABEL } from '../../src/common/labels.js';
import type { ProgressEvent } from '../../src/orchestrator/progress.js';
import {
  DEFAULT_RESTART_ATTEMPTS,
  RestartFailure,
  restartOrder,
  restartTopology,
  USER_STOPPED,
  type RestartOptions,
  type RestartService,
} from '../../src/orchestrator/restart.js';
import { DEFAULT_PULL_RETRY, retry, RetryError, retryPolicy } from '../../src/common/retry.js';
import { run } from '../../src/run.js';
import type { ScenarioSpec } from '../../src/model/suite.js';
import { workdir } from '../support/cli.js';
import { FakeClock } from '../support/fake-clock.js';
import { dependsOn, dur, service, suite, topology } from '../support/specs.js';
import { VirtualClock } from '../support/virtual-clock.js';

const pos = { file: 'test.yml', line: 1, column: 1 };
const IMAGE = 'stackcheck-fixture/busybox:1';
const healthcheck: ServiceSpec['healthcheck'] = { disable: false, test: ['CMD', 'true'], pos };
const REGISTRY_DOWN = 'Get "https://registry-1.docker.io/v2/": dial tcp: i/o timeout';

/** A topology whose services without a healthcheck count as up at once (stability is timed in real time). */
function topo(name: string, services: ServiceSpec[]): TopologySpec {
  return { ...topology(name, services), stableMs: 0, waitTimeoutMs: 10_000 };
}

async function runOnFake(s: Suite, fake: FakeEngine, clock: Clock, signal?: AbortSignal) {
  const events: ProgressEvent[] = [];
  const results = await run(s, {
    engineFactory: () => fake,
    clock,
    signal,
    progress: { emit: (e) => events.push(e) },
  });
  const notes = events.flatMap((e) => (e.kind === 'note' ? [e.text] : []));
  return { results, notes, left: fake.resources({ [LABEL.run]: results.runId }) };
}

const NOTHING = { containers: [], networks: [], volumes: [] };

describe('retry with backoff', () => {
  it('fails twice, succeeds the third time, after waiting exactly 5 s and then 15 s', async () => {
    const clock = new FakeClock();
    const seen: number[] = [];
    const value = await retry(
      async (attempt) => {
        seen.push(attempt);
        if (attempt < 3) throw new Error(`down ${attempt}`);
        return 'pulled';
      },
      DEFAULT_PULL_RETRY,
      { clock },
    );
    expect(value).toBe('pulled');
    expect(seen).toEqual([1, 2, 3]);
    expect(clock.sleeps).toEqual([5000, 15000]);
  });

  it('after the last attempt, throws an error naming every attempt and its failure', async () => {
    const clock = new FakeClock();
    const err = await retry(
      async (n) => Promise.reject(new Error(`reset ${n}`)),
      DEFAULT_PULL_RETRY,
      { clock },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RetryError);
    expect((err as RetryError).message).toBe(
      'failed 3 times (5.0s, 15.0s apart): attempt 1: reset 1; attempt 2: reset 2; attempt 3: reset 3',
    );
    expect((err as RetryError).failures.map((f) => [f.attempt, f.atMs])).toEqual([
      [1, 0],
      [2, 5000],
      [3, 20000],
    ]);
    expect(clock.sleeps).toEqual([5000, 15000]);
  });

  it('stops at once on a failure that waiting does not change', async () => {
    const clock = new FakeClock();
    let calls = 0;
    const err = await retry(
      async () => {
        calls++;
        throw new Error('manifest unknown');
      },
      DEFAULT_PULL_RETRY,
      { clock, retryable: () => false },
    ).catch((e: unknown) => e);
    expect(calls).toBe(1);
    expect(clock.sleeps).toEqual([]);
    expect(err).toMatchObject({
      message: 'failed: manifest unknown',
      gaveUp: expect.stringContaining('not retried'),
    });
  });

  it('stops early on cancellation, with the abort reason, not another attempt', async () => {
    const clock = new VirtualClock();
    const ctl = new AbortController();
    let calls = 0;
    const p = retry(
      async () => {
        calls++;
        throw new Error('down');
      },
      DEFAULT_PULL_RETRY,
      { clock, signal: ctl.signal, onRetry: () => setImmediate(() => ctl.abort('SIGINT')) },
    );
    await expect(p).rejects.toBe('SIGINT');
    expect(calls).toBe(1);
    expect(clock.now()).toBe(0);
  });

  it('reads attempts and backoff as the manifest gives them', () => {
    expect(retryPolicy([5000, 15000])).toEqual({ backoffMs: [5000, 15000] });
    expect(retryPolicy([1000], 4)).toEqual({ backoffMs: [1000, 1000, 1000] });
    expect(retryPolicy([5000, 15000], 1)).toEqual({ backoffMs: [] });
    expect(retryPolicy([], 3)).toEqual({ backoffMs: [0, 0] });
  });

  it('retries pulls unless the registry answered definitively; builds only on network failures', () => {
    expect(pullRetryable(REGISTRY_DOWN)).toBe(true);
    expect(pullRetryable('received unexpected HTTP status: 503 Service Unavailable')).toBe(true);
    expect(pullRetryable('manifest for app:9 not found: manifest unknown: manifest unknown')).toBe(
      false,
    );
    expect(
      pullRetryable(
        "pull access denied for nope, repository does not exist or may require 'docker login'",
      ),
    ).toBe(false);
    expect(
      buildRetryable('failed to fetch base image: read tcp 10.0.0.2:443: connection reset by peer'),
    ).toBe(true);
    expect(buildRetryable('toomanyrequests: You have reached your pull rate limit')).toBe(true);
    expect(buildRetryable("The command '/bin/sh -c make' returned a non-zero code: 2")).toBe(false);
    expect(buildRetryable('COPY failed: file not found in build context')).toBe(false);
  });
});

describe('image pulls and builds during bring-up', () => {
  it('retries a failing pull on the injected clock and brings the topology up', async () => {
    const clock = new FakeClock();
    const fake = new FakeEngine({ clock }).failPulls(2, REGISTRY_DOWN);
    const { results, notes, left } = await runOnFake(
      suite([topo('t', [service('web')])]),
      fake,
      clock,
    );
    expect(results.status).toBe('passed');
    expect(fake.callsTo('pullImage').map((c) => [c.atMs, c.error])).toEqual([
      [0, REGISTRY_DOWN],
      [5000, REGISTRY_DOWN],
      [20000, undefined],
    ]);
    expect(clock.sleeps).toEqual([5000, 15000]);
    expect(notes.filter((n) => n.includes('trying again'))).toEqual([
      `pulling ${IMAGE} for "web" failed (attempt 1): ${REGISTRY_DOWN}; trying again in 5.0s (2 more attempts)`,
      `pulling ${IMAGE} for "web" failed (attempt 2): ${REGISTRY_DOWN}; trying again in 15.0s (1 more attempt)`,
    ]);
    expect(left).toEqual(NOTHING);
  });

  it('fails the bring-up when every attempt fails, naming each, and leaves nothing of the run', async () => {
    const clock = new FakeClock();
    // db's image is there and it comes up; app's pull fails three times.
    const fake = new FakeEngine({ clock, images: ['db:1'] }).failPulls(3, REGISTRY_DOWN);
    const t = topo('t', [
      service('db', { image: 'db:1' }),
      service('app', { image: 'app:1', dependsOn: dependsOn('db') }),
    ]);
    const { results, left } = await runOnFake(suite([t]), fake, clock);
    expect(results.status).toBe('error');
    const failure = results.topologies[0]!.failure!;
    expect(failure.service).toBe('app');
    expect(failure.message).toBe(
      `image app:1 is not on node "local" and pulling it failed 3 times (5.0s, 15.0s apart): ` +
        `attempt 1: ${REGISTRY_DOWN}; attempt 2: ${REGISTRY_DOWN}; attempt 3: ${REGISTRY_DOWN}. ` +
        'Build it there first (or give the service a `build:`), load it with `docker load`, or set `images: { carry: true }` to copy it from the runner.',
    );
    expect(clock.sleeps).toEqual([5000, 15000]);
    // db was created and started before app's pulls gave up; teardown removed it and the network.
    expect(fake.callsTo('createContainer').map((c) => c.target)).toEqual([
      expect.stringMatching(/-t-db-1$/),
    ]);
    expect(fake.callsTo('removeContainer').map((c) => c.target)).toEqual([
      expect.stringMatching(/-t-db-1$/),
    ]);
    expect(results.teardown).toEqual({
      kept: false,
      containers: 1,
      networks: 1,
      volumes: 0,
      errors: [],
    });
    expect(left).toEqual(NOTHING);
    expect(fake.containers()).toEqual([]);
  });

  it('follows the manifest policy, and does not retry what the registry refused definitively', async () => {
    const clock = new FakeClock();
    const fake = new FakeEngine({ clock }).failPulls(5, REGISTRY_DOWN);
    const s = { ...suite([topo('t', [service('web')])]), images: { pull: retryPolicy([1000], 2) } };
    const { results } = await runOnFake(s, fake, clock);
    expect(results.topologies[0]!.failure!.message).toContain('failed 2 times (1.0s apart)');
    expect(clock.sleeps).toEqual([1000]);

    const clock2 = new FakeClock();
    const fake2 = new FakeEngine({ clock: clock2 }).failPulls(
      3,
      'manifest for app:9 not found: manifest unknown',
    );
    const r2 = await runOnFake(
      suite([topo('t', [service('web', { image: 'app:9' })])]),
      fake2,
      clock2,
    );
    expect(fake2.callsTo('pullImage')).toHaveLength(1);
    expect(clock2.sleeps).toEqual([]);
    expect(r2.results.topologies[0]!.failure!.message).toContain(
      'pulling it failed: manifest for app:9 not found',
    );
  });

  it('fails with the reason when a pull succeeds but the image is still missing', async () => {
    const clock = new FakeClock();
    const fake = new FakeEngine({ clock }).pullLeavesNoImage(IMAGE);
    const { results, left } = await runOnFake(suite([topo('t', [service('web')])]), fake, clock);
    expect(results.status).toBe('error');
    expect(results.topologies[0]!.failure!.message).toBe(
      `pulling image ${IMAGE} reported success, but node "local" has no such image afterwards`,
    );
    expect(fake.callsTo('createContainer')).toEqual([]);
    expect(left).toEqual(NOTHING);
  });

  it('retries a build only when it failed on the network', async () => {
    const build = { context: '/tmp', dockerfile: 'Dockerfile', args: {}, labels: {}, pos };
    const clock = new FakeClock();
    const fake = new FakeEngine({ clock }).failBuilds(
      1,
      'failed to fetch base image: connection reset by peer',
    );
    const ok = await runOnFake(
      suite([topo('t', [service('web', { image: undefined, build })])]),
      fake,
      clock,
    );
    expect(ok.results.status).toBe('passed');
    expect(fake.callsTo('buildImage')).toHaveLength(2);
    expect(clock.sleeps).toEqual([5000]);

    const clock2 = new FakeClock();
    const fake2 = new FakeEngine({ clock: clock2 }).failBuilds(
      3,
      "The command '/bin/sh -c make' returned a non-zero code: 2",
    );
    const bad = await runOnFake(
      suite([topo('t', [service('web', { image: undefined, build })])]),
      fake2,
      clock2,
    );
    expect(fake2.callsTo('buildImage')).toHaveLength(1);
    expect(clock2.sleeps).toEqual([]);
    expect(bad.results.topologies[0]!.failure!.message).toBe(
      "building image stackcheck-t-web failed: The command '/bin/sh -c make' returned a non-zero code: 2",
    );
    expect(bad.left).toEqual(NOTHING);
  });

  it('stops retrying when the run is cancelled during a wait, and still removes everything', async () => {
    const clock = new FakeClock();
    const ctl = new AbortController();
    const fake = new FakeEngine({ clock, images: ['db:1'] }).failPulls(3, REGISTRY_DOWN);
    const t = topo('t', [service('db', { image: 'db:1' }), service('app', { image: 'app:1' })]);
    const events: ProgressEvent[] = [];
    const results = await run(suite([t]), {
      engineFactory: () => fake,
      clock,
      signal: ctl.signal,
      progress: {
        emit: (e) => {
          events.push(e);
          if (e.kind === 'note' && e.text.includes('trying again')) ctl.abort('SIGINT');
        },
      },
    });
    expect(fake.callsTo('pullImage')).toHaveLength(1);
    expect(clock.sleeps).toEqual([]);
    expect(results.interrupted).toBe('SIGINT');
    expect(results.topologies[0]!.status).toBe('cancelled');
    expect(fake.resources({ [LABEL.run]: results.runId })).toEqual(NOTHING);
  });
});

describe('a failed start is rolled back', () => {
  const chain = () => [
    service('db', { healthcheck }),
    service('app', { dependsOn: dependsOn('db') }),
    service('web', { dependsOn: dependsOn('app') }),
  ];

  it('a service whose process exits at once fails the run, and every created resource is removed', async () => {
    const clock = new VirtualClock();
    const fake = new FakeEngine({ clock, images: [IMAGE] }).failStart('app', { exitCode: 1 });
    const { results, left } = await runOnFake(suite([topo('t', chain())]), fake, clock);
    expect(results.status).toBe('failed');
    expect(results.topologies[0]!.failure).toMatchObject({
      service: 'app',
      message: 'service "app" exited with code 1',
    });
    const created = fake.callsTo('createContainer').map((c) => c.target);
    // web waits only for app to start (service_started), so it was created too.
    expect(created).toEqual([
      expect.stringMatching(/-db-1$/),
      expect.stringMatching(/-app-1$/),
      expect.stringMatching(/-web-1$/),
    ]);
    expect(
      fake
        .callsTo('removeContainer')
        .map((c) => c.target)
        .sort(),
    ).toEqual([...created].sort());
    expect(fake.callsTo('removeNetwork')).toHaveLength(1);
    expect(left).toEqual(NOTHING);
    expect(fake.containers()).toEqual([]);
  });

  it("a start the engine refuses fails the run the same way, with the engine's reason", async () => {
    const clock = new VirtualClock();
    const fake = new FakeEngine({ clock, images: [IMAGE] }).failStart('app', {
      error: 'OCI runtime create failed: exec: "nope": not found',
    });
    const { results, left } = await runOnFake(suite([topo('t', chain())]), fake, clock);
    expect(results.topologies[0]!.failure!.message).toMatch(
      /^container sc-\w+-t-app-1 did not start: OCI runtime create failed/,
    );
    expect(left).toEqual(NOTHING);
  });
});

/** Creates and starts each service's container on the fake, as bring-up would have. */
async function deploy(
  fake: FakeEngine,
  services: { name: string; tier: number; spec?: Partial<ServiceSpec> }[],
): Promise<RestartService[]> {
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
    labels: {},
  });
  const out: RestartService[] = [];
  for (const s of services) {
    const id = await fake.createContainer({
      name: s.name,
      image: IMAGE,
      service: service(s.name, s.spec),
      labels: { [LABEL.run]: 'r1', [LABEL.service]: s.name },
      networks: [{ name: 'net', aliases: [s.name] }],
      volumeNames: {},
      ephemeralPorts: true,
    });
    await fake.startContainer(id);
    out.push({ name: s.name, tier: s.tier, containers: [{ id, name: s.name }] });
  }
  fake.calls.length = 0;
  return out;
}

/** databases (tier 0) → api (tier 1) → web (tier 2). */
const STACK = [
  { name: 'db', tier: 0, spec: { healthcheck } },
  { name: 'cache', tier: 0 },
  { name: 'api', tier: 1, spec: { healthcheck } },
  { name: 'web', tier: 2 },
];

function restartOpts(clock: Clock, over: Partial<RestartOptions> = {}): RestartOptions {
  return {
    clock,
    signal: new AbortController().signal,
    userStopped: new Set(),
    attempts: DEFAULT_RESTART_ATTEMPTS,
    readyTimeoutMs: 60_000,
    stableMs: 1000,
    ...over,
  };
}

const targets = (fake: FakeEngine, op: string) => fake.callsTo(op).map((c) => c.target);

describe('tier-ordered restart', () => {
  it('orders tiers: stops dependents first, starts databases first, leaves user-stopped containers out', () => {
    const s = (name: string, tier: number, ids: string[]): RestartService => ({
      name,
      tier,
      containers: ids.map((id) => ({ id, name: `${name}-${id}` })),
    });
    const order = restartOrder(
      [s('web', 2, ['w']), s('db', 0, ['d']), s('api', 1, ['a1', 'a2']), s('cache', 0, ['c'])],
      new Set(['a2', 'c']),
    );
    expect(
      order.start.map((t) =>
        t.services.map((x) => `${x.name}:${x.containers.map((c) => c.id).join(',')}`),
      ),
    ).toEqual([['db:d'], ['api:a1'], ['web:w']]);
    expect(order.stop.map((t) => t.tier)).toEqual([2, 1, 0]);
    expect(order.skipped).toEqual([
      { service: 'api', container: 'api-a2', reason: USER_STOPPED },
      { service: 'cache', container: 'cache-c', reason: USER_STOPPED },
    ]);
  });

  it('starts each tier only once the one before is healthy or running, in dependency order', async () => {
    const clock = new VirtualClock();
    const fake = new FakeEngine({ clock, images: [IMAGE] })
      .setHealth('db', { healthyAfterMs: 5000 })
      .setHealth('api', { healthyAfterMs: 2000 });
    const services = await deploy(fake, STACK);
    await clock.sleep(10_000); // everything is up before the restart
    const t0 = clock.now();
    const report = await restartTopology(fake, services, restartOpts(clock));
    expect(targets(fake, 'stopContainer')).toEqual(['web', 'api', 'db', 'cache']);
    expect(targets(fake, 'startContainer')).toEqual(['db', 'cache', 'api', 'web']);
    const startAt = Object.fromEntries(
      fake.callsTo('startContainer').map((c) => [c.target, c.atMs - t0]),
    );
    const healthyAt = (name: string) =>
      fake.events
        .filter(
          (e) => e.labels.name === name && e.action === 'health_status: healthy' && e.timeMs > t0,
        )
        .map((e) => e.timeMs - t0)[0]!;
    expect(healthyAt('db')).toBe(5000);
    expect(startAt).toEqual({ db: 0, cache: 0, api: 5000, web: 7000 });
    expect(startAt.api!).toBeGreaterThanOrEqual(healthyAt('db'));
    expect(startAt.web!).toBeGreaterThanOrEqual(healthyAt('api'));
    expect(report.started.map((s) => [s.service, s.back, s.attempts])).toEqual([
      ['cache', 'running', 1],
      ['db', 'healthy', 1],
      ['api', 'healthy', 1],
      ['web', 'running', 1],
    ]);
    expect(fake.containers().every((c) => c.status === 'running')).toBe(true);
  });

  it('does not restart a service the user stopped, and never stops it again', async () => {
    const clock = new VirtualClock();
    const fake = new FakeEngine({ clock, images: [IMAGE] });
    const services = await deploy(fake, STACK);
    const db = services.find((s) => s.name === 'db')!.containers[0]!;
    await fake.stopContainer(db.id, undefined);
    fake.calls.length = 0;
    const report = await restartTopology(
      fake,
      services,
      restartOpts(clock, { userStopped: new Set([db.id]) }),
    );
    expect(targets(fake, 'stopContainer')).toEqual(['web', 'api', 'cache']);
    expect(targets(fake, 'startContainer')).toEqual(['cache', 'api', 'web']);
    expect(report.skipped).toEqual([{ service: 'db', container: 'db', reason: USER_STOPPED }]);
    expect(fake.container('db').status).toBe('exited');
  });

  it('gives up on a service after the maximum attempts, naming each failure, and starts nothing after it', async () => {
    const clock = new VirtualClock();
    const fake = new FakeEngine({ clock, images: [IMAGE] });
    const services = await deploy(fake, STACK);
    fake.failStart('api', { exitCode: 1 });
    const t0 = clock.now();
    const err = await restartTopology(fake, services, restartOpts(clock)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RestartFailure);
    const f = err as RestartFailure;
    expect(f.message).toBe(
      'api (service "api") did not come back after 3 attempts: attempt 1: exited with code 1; attempt 2: exited with code 1; attempt 3: exited with code 1; not started: web',
    );
    expect(f.notStarted).toEqual(['web']);
    // Three starts of api, 1 s and then 2 s apart (the backoff), after db and cache were back at 1 s.
    expect(
      fake
        .callsTo('startContainer')
        .filter((c) => c.target === 'api')
        .map((c) => c.atMs - t0),
    ).toEqual([1000, 2000, 4000]);
    expect(targets(fake, 'startContainer')).not.toContain('web');
    expect(f.report.started.map((s) => s.service)).toEqual(['db', 'cache']);
  });

  it("names an engine's refusal to start in the daemon's own words", async () => {
    const clock = new VirtualClock();
    const fake = new FakeEngine({ clock, images: [IMAGE] });
    const services = await deploy(fake, STACK.slice(0, 1));
    fake.failStart('db', { error: 'driver failed programming external connectivity' });
    const err = (await restartTopology(fake, services, restartOpts(clock)).catch(
      (e: unknown) => e,
    )) as RestartFailure;
    expect(err.failures.map((x) => x.message)).toEqual(
      Array(3).fill('driver failed programming external connectivity'),
    );
  });

  it('counts a service back when a later attempt succeeds', async () => {
    const clock = new VirtualClock();
    const fake = new FakeEngine({ clock, images: [IMAGE] });
    const services = await deploy(fake, STACK);
    fake.failStart('api', { exitCode: 1 }, 1);
    const report = await restartTopology(fake, services, restartOpts(clock));
    expect(report.started.find((s) => s.service === 'api')).toMatchObject({
      attempts: 2,
      back: 'healthy',
    });
    expect(report.started.find((s) => s.service === 'web')).toMatchObject({
      attempts: 1,
      back: 'running',
    });
    expect(report.tiers).toEqual([['db', 'cache'], ['api'], ['web']]);
  });

  it('retries an unhealthy service after stopping it, then fails with the reason', async () => {
    const clock = new VirtualClock();
    const fake = new FakeEngine({ clock, images: [IMAGE] });
    const services = await deploy(fake, STACK.slice(0, 3));
    fake.setHealth('api', { unhealthyAfterMs: 3000 });
    const err = (await restartTopology(fake, services, restartOpts(clock)).catch(
      (e: unknown) => e,
    )) as RestartFailure;
    expect(err.failures.map((x) => x.message)).toEqual([
      'is unhealthy',
      'is unhealthy',
      'is unhealthy',
    ]);
    const apiCalls = fake.calls
      .filter((c) => c.target === 'api' && (c.op === 'startContainer' || c.op === 'stopContainer'))
      .map((c) => c.op);
    expect(apiCalls).toEqual([
      'stopContainer',
      'startContainer',
      'stopContainer',
      'startContainer',
      'stopContainer',
      'startContainer',
    ]);
  });

  it('times out a service that is not back in time, on the clock, before its delayed health arrives', async () => {
    const clock = new VirtualClock();
    const fake = new FakeEngine({ clock, images: [IMAGE] }).setHealth('db', {
      healthyAfterMs: 10_000,
    });
    const services = await deploy(fake, STACK.slice(0, 1));
    const t0 = clock.now();
    const err = (await restartTopology(
      fake,
      services,
      restartOpts(clock, { attempts: retryPolicy([], 1), readyTimeoutMs: 3000 }),
    ).catch((e: unknown) => e)) as RestartFailure;
    expect(err.failures.map((x) => x.message)).toEqual([
      'was not healthy within 3.0s (health starting)',
    ]);
    expect(err.failures[0]!.atMs - t0).toBe(3000);
  });
});

describe('restart and recreate steps in a scenario', () => {
  const step = (index: number, key: string, entry: Record<string, unknown>) => ({
    index,
    key,
    name: key,
    entry,
    targets: [],
    pos,
  });

  it('restarts a topology in tier order, leaving the service a stop step stopped', async () => {
    const clock = new VirtualClock();
    const fake = new FakeEngine({ clock, images: [IMAGE] }).setHealth('db', {
      healthyAfterMs: 2000,
    });
    const s = suite([
      topo('t', [
        service('db', { healthcheck }),
        service('app', { healthcheck, dependsOn: dependsOn('db') }),
        service('worker'),
      ]),
    ]);
    const scenarios: ScenarioSpec[] = [
      { name: 'full restart', pos, steps: [step(0, 'restart', { restart: { topology: 't' } })] },
      {
        name: 'user stop honoured',
        pos,
        steps: [
          step(0, 'stop', { stop: { service: 'worker' } }),
          step(1, 'restart', { restart: { topology: 't' } }),
        ],
      },
    ];
    const { results, left } = await runOnFake({ ...s, scenarios }, fake, clock);
    expect(results.scenarios.map((x) => [x.name, x.status])).toEqual([
      ['full restart', 'passed'],
      ['user stop honoured', 'passed'],
    ]);
    expect(results.scenarios[0]!.steps[0]!.message).toBe('restarted topology t: db + worker → app');
    expect(results.scenarios[1]!.steps[1]!.message).toBe(
      'restarted topology t: db → app; left stopped (stopped by a `stop` step): worker',
    );
    expect(left).toEqual(NOTHING);
  });

  it('fails the step after the maximum attempts', async () => {
    const clock = new VirtualClock();
    const fake = new FakeEngine({ clock, images: [IMAGE] });
    const s = suite([
      topo('t', [
        service('db', { healthcheck }),
        service('app', { healthcheck, dependsOn: dependsOn('db') }),
      ]),
    ]);
    // Bring-up's start succeeds; every restart of app exits.
    fake.failStart(
      (c) =>
        c.labels[LABEL.service] === 'app' &&
        fake.callsTo('startContainer').filter((x) => x.target === c.name).length > 1,
      { exitCode: 2 },
    );
    const scenarios: ScenarioSpec[] = [
      {
        name: 'bounded',
        pos,
        steps: [step(0, 'restart', { restart: { topology: 't', attempts: 2, backoff: ['3s'] } })],
      },
    ];
    const { results } = await runOnFake({ ...s, scenarios }, fake, clock);
    const st = results.scenarios[0]!.steps[0]!;
    expect(st.status).toBe('failed');
    expect(st.message).toMatch(
      /^restarting topology t: sc-\w+-t-app-1 \(service "app"\) did not come back after 2 attempts: attempt 1: exited with code 2; attempt 2: exited with code 2$/,
    );
  });
  it('brings a node back up without starting what the user stopped', async () => {
    const clock = new VirtualClock();
    const fake = new FakeEngine({ clock, images: [IMAGE] });
    const s = suite([topo('t', [service('db'), service('worker')])]);
    const scenarios: ScenarioSpec[] = [
      {
        name: 'node down and up',
        pos,
        steps: [
          step(0, 'stop', { stop: { service: 'worker' } }),
          step(1, 'down', { down: { node: 'local' } }),
          step(2, 'up', { up: { node: 'local' } }),
        ],
      },
    ];
    const { results } = await runOnFake({ ...s, scenarios }, fake, clock);
    expect(results.scenarios[0]!.status).toBe('passed');
    const starts = (svc: string) =>
      fake.callsTo('startContainer').filter((c) => c.target.endsWith(`-t-${svc}-1`)).length;
    expect([starts('db'), starts('worker')]).toEqual([2, 1]);
  });

  it('recreates a container from the plan, waits for it, and later steps act on the new one', async () => {
    const clock = new VirtualClock();
    const fake = new FakeEngine({ clock, images: [IMAGE] }).setHealth('db', {
      healthyAfterMs: 2000,
    });
    const s = suite([topo('t', [service('db', { healthcheck })])]);
    const requests = recordCreates(fake);
    const scenarios: ScenarioSpec[] = [
      {
        name: 'redeploy',
        pos,
        steps: [
          step(0, 'recreate', { recreate: { service: 'db' } }),
          step(1, 'down', { down: { node: 'local' } }),
          step(2, 'up', { up: { node: 'local' } }),
        ],
      },
    ];
    const { results, left } = await runOnFake({ ...s, scenarios }, fake, clock);
    const sc = results.scenarios[0]!;
    expect(sc.steps.map((x) => x.status)).toEqual(['passed', 'passed', 'passed']);
    const [re] = sc.steps[0]!.evidence.recreated as {
      container: string;
      oldId: string;
      newId: string;
      backAfterMs: number;
    }[];
    expect(re!.newId).not.toBe(re!.oldId);
    expect(re!.backAfterMs).toBe(2000);
    expect(sc.steps[0]!.message).toBe(`recreated ${re!.container} (healthy after 2000 ms)`);
    // Same name; the stop comes before the remove, the remove before the new create.
    const ops = fake.calls
      .filter(
        (c) => c.target === re!.container && /^(stop|remove|create|start)Container$/.test(c.op),
      )
      .map((c) => c.op);
    expect(ops).toEqual([
      'createContainer',
      'startContainer',
      'stopContainer',
      'removeContainer',
      'createContainer',
      'startContainer',
      'stopContainer', // down
      'startContainer', // up: the new container, found by name
      'stopContainer', // teardown
      'removeContainer',
    ]);
    expect(fake.callsTo('startContainer').filter((c) => c.error)).toEqual([]);
    // The replacement is asked for exactly as the original was.
    expect(requests).toHaveLength(2);
    expect(requests[1]).toEqual(requests[0]);
    expect(left).toEqual(NOTHING);
  });

  it('when no new container can be created, the step is an error and later steps find none', async () => {
    const clock = new VirtualClock();
    const fake = new FakeEngine({ clock, images: [IMAGE] });
    const s = suite([topo('t', [service('app')])]);
    recordCreates(fake, (n) => (n > 1 ? 'No such image: gone:1' : undefined));
    const scenarios: ScenarioSpec[] = [
      {
        name: 'redeploy',
        pos,
        steps: [
          step(0, 'recreate', { recreate: { service: 'app' } }),
          step(1, 'start', { start: { service: 'app' } }),
        ],
      },
      { name: 'after', pos, steps: [step(0, 'start', { start: { service: 'app' } })] },
    ];
    const { results, left } = await runOnFake({ ...s, scenarios }, fake, clock);
    expect(results.scenarios[0]!.steps[0]).toMatchObject({
      status: 'error',
      message: expect.stringMatching(
        /^sc-\w+-t-app-1: the old container is removed, but no new one could be created: No such image: gone:1$/,
      ),
    });
    expect(results.scenarios[1]!.steps[0]).toMatchObject({
      status: 'error',
      message: 'app has no container in this run',
    });
    expect(left).toEqual(NOTHING);
  });

  it('fails a recreate whose new container does not come back, and leaves nothing behind', async () => {
    const clock = new VirtualClock();
    const fake = new FakeEngine({ clock, images: [IMAGE] });
    const s = suite([topo('t', [service('app')])]);
    // The original starts; its replacement exits.
    fake.failStart(
      (c) =>
        c.labels[LABEL.service] === 'app' &&
        fake.callsTo('createContainer').filter((x) => x.target === c.name).length > 1,
      { exitCode: 3 },
    );
    const scenarios: ScenarioSpec[] = [
      { name: 'redeploy', pos, steps: [step(0, 'recreate', { recreate: { service: 'app' } })] },
    ];
    const { results, left } = await runOnFake({ ...s, scenarios }, fake, clock);
    expect(results.scenarios[0]!.steps[0]).toMatchObject({
      status: 'failed',
      message: expect.stringMatching(/^sc-\w+-t-app-1: the new container exited with code 3$/),
    });
    expect(left).toEqual(NOTHING);
  });
});

describe('manifest settings', () => {
  const head = `version: 1
name: s
topologies:
  t:
    services:
      db: { image: d }
      web: { image: w }
`;
  const load = (text: string) =>
    loadSuite(`${workdir({ 'stackcheck.yml': head + text })}/stackcheck.yml`, { env: {} });
  const problems = (text: string): Problem[] => {
    try {
      load(text);
    } catch (e) {
      if (e instanceof UserError) return e.problems;
      throw e;
    }
    throw new Error('expected the manifest to be rejected');
  };

  it('reads the pull retry policy, with 5 s and 15 s waits by default', () => {
    expect(load('').images).toEqual({ pull: { backoffMs: [5000, 15000] }, carry: false });
    expect(load('images: { pull: { attempts: 4, backoff: [2s] } }\n').images).toEqual({
      pull: { backoffMs: [2000, 2000, 2000] },
      carry: false,
    });
    expect(load('images: { pull: { attempts: 1 } }\n').images).toEqual({
      pull: { backoffMs: [] },
      carry: false,
    });
    expect(problems('images: { pull: { attempts: 0 } }\n')[0]!.message).toMatch(
      /images\.pull\.attempts/,
    );
    expect(problems('images: { pull: { backof: [1s] } }\n')[0]).toMatchObject({
      message: 'unknown key "backof" in images.pull',
      hint: 'Did you mean "backoff"?',
    });
  });

  it('accepts restart of a service or of a topology, and says what is wrong otherwise', () => {
    const sc = (steps: string) => `scenarios:\n  - name: r\n    steps:\n${steps}`;
    const steps = load(
      sc(
        '      - restart: { service: db, replica: 1 }\n      - restart: { topology: t, attempts: 5, backoff: [1s], timeout: 30s }\n',
      ),
    ).scenarios[0]!.steps;
    expect(steps.map((s) => s.name)).toEqual(['restart db', 'restart t']);
    expect(
      problems(sc('      - restart: { topology: t, service: db }\n')).map((p) => p.message),
    ).toEqual([
      'step restart: name either `service` (restart one service) or `topology` (restart all of it in dependency order)',
    ]);
    expect(problems(sc('      - restart: { topology: nope }\n')).map((p) => p.message)).toEqual([
      'step restart: no topology "nope" (topologies: t)',
    ]);
    // A service restart waits for it to be back too, with the same bound on attempts.
    const bounded = load(sc('      - restart: { service: db, attempts: 2, timeout: 5s }\n'))
      .scenarios[0]!.steps[0]!;
    expect(bounded.entry).toMatchObject({
      restart: { service: 'db', attempts: 2, timeout: dur('5s') },
    });
    expect(
      problems(sc('      - restart: { topology: t, replica: 1 }\n')).map((p) => p.message),
    ).toEqual(['step restart: `replica` goes with `service`, not `topology`']);
  });
});

/** Records every container create request; `refuse(n)` may fail the n-th create of a name. */
function recordCreates(
  fake: FakeEngine,
  refuse: (n: number) => string | undefined = () => undefined,
): CreateContainerRequest[] {
  const requests: CreateContainerRequest[] = [];
  const create = fake.createContainer.bind(fake);
  fake.createContainer = (req) => {
    requests.push(req);
    const why = refuse(requests.filter((r) => r.name === req.name).length);
    return why ? Promise.reject(new EngineError(404, why)) : create(req);
  };
  return requests;
}
