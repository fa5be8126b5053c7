/**
 * A topology's `depends_on`: services that wait for services of other topologies, on one node
 * or two, on in-memory engines. Resolution and cycles at load; at run time the dependent's
 * start waits for the condition and nothing else does, a dependency that fails cancels the
 * dependent with its reason, and teardown stops dependents first, across engines too. The
 * real engines' side is in test/integration/cross-deps.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/common/errors.js';
import { FakeEngine } from '../../src/engine/fake.js';
import { filterSuite } from '../../src/manifest/filter.js';
import { loadSuite } from '../../src/manifest/load.js';
import type { Suite } from '../../src/model/suite.js';
import { LABEL } from '../../src/common/labels.js';
import { run } from '../../src/run.js';
import { workdir } from '../support/cli.js';
import { VirtualClock } from '../support/virtual-clock.js';

const IMAGE = 'stackcheck-fixture/busybox:1';

/** Two topologies: `infra` with redis (healthcheck) and a one-shot migrate; `app` waits on them. */
function manifest(appDependsOn: string, opts: { nodes?: boolean } = {}): string {
  return `version: 1
name: cross
${
  opts.nodes
    ? `nodes:
  main: {}
  pc2: { docker: "tcp://10.0.0.9:2375", address: 10.0.0.9 }
`
    : ''
}topologies:
  infra:
${opts.nodes ? '    node: main\n' : ''}    wait: { stable: 0s, timeout: 20s }
    services:
      redis:
        image: ${IMAGE}
        healthcheck: { test: ["CMD", "true"], interval: 100ms }
      migrate:
        image: ${IMAGE}
  app:
${opts.nodes ? '    node: pc2\n' : ''}    wait: { stable: 0s, timeout: 20s }
    depends_on:
${appDependsOn}
    services:
      api:
        image: ${IMAGE}
      web:
        image: ${IMAGE}
        depends_on: [api]
      worker:
        image: ${IMAGE}
`;
}

function load(yaml: string): Suite {
  return loadSuite(`${workdir({ 'stackcheck.yml': yaml })}/stackcheck.yml`, { env: {} });
}

function loadError(yaml: string): string {
  try {
    load(yaml);
  } catch (e) {
    if (e instanceof UserError) return e.message;
    throw e;
  }
  throw new Error('loaded without a problem');
}

const clock = () => new VirtualClock();

async function runOn(s: Suite, engines: Record<string, FakeEngine>) {
  const stops: string[] = [];
  for (const e of Object.values(engines)) {
    const stop = e.stopContainer.bind(e);
    e.stopContainer = async (id, grace, signal) => {
      stops.push(e.container(id).labels[LABEL.service]!);
      return stop(id, grace, signal);
    };
  }
  const results = await run(s, {
    engineFactory: (n) => engines[n.name]!,
    clock: Object.values(engines)[0]!.clock,
  });
  const svc = (t: string, name: string) =>
    results.topologies.find((x) => x.name === t)!.services.find((x) => x.name === name)!;
  return { results, svc, stops };
}

describe('depends_on on a topology: load', () => {
  it('resolves the short and the long form, and marks what another topology waits to complete', () => {
    const s = load(
      manifest(`      api: [infra/redis]
      worker:
        infra/redis: { condition: service_healthy }
        infra/migrate: { condition: service_completed_successfully }`),
    );
    const app = s.topologies.find((t) => t.name === 'app')!;
    expect(
      app.dependsOn!.map((d) => [d.service, `${d.on.topology}/${d.on.service}`, d.condition]),
    ).toEqual([
      ['api', 'infra/redis', 'service_started'],
      ['worker', 'infra/redis', 'service_healthy'],
      ['worker', 'infra/migrate', 'service_completed_successfully'],
    ]);
    expect(app.dependsOn![0]!.pos).toMatchObject({ line: 15, column: 13 });
    expect(s.topologies.find((t) => t.name === 'infra')!.awaitedToComplete).toEqual(['migrate']);
  });

  it('refuses a service it lacks, a reference to nothing, and one to itself, each at its line', () => {
    const msg = loadError(
      manifest(`      nope: [infra/redis]
      api: [infra/redsi]
      web: [app/api]`),
    );
    expect(msg).toContain(
      'stackcheck.yml:15:7: depends_on names service "nope", which topology "app" does not define (services: api, web, worker)',
    );
    expect(msg).toContain(
      'stackcheck.yml:16:13: depends_on: topology "infra" has no service "redsi" (services: redis, migrate)',
    );
    expect(msg).toContain('stackcheck.yml:17:13: "app/api" is a service of topology "app" itself');
  });

  it('refuses a cycle across topologies, through compose depends_on too, with its path', () => {
    const yaml = manifest(`      api: [infra/redis]`).replace(
      '      redis:\n',
      `      redis:
        depends_on: [migrate]
`,
    );
    const cyclic = yaml.replace(
      'topologies:\n  infra:\n',
      `topologies:
  infra:
    depends_on:
      migrate: [app/web]
`,
    );
    const msg = loadError(cyclic);
    expect(msg).toMatch(
      /stackcheck\.yml:\d+:\d+: dependency cycle across topologies: (\S+) → .* → \1/,
    );
    for (const step of ['infra/redis', 'infra/migrate', 'app/web', 'app/api'])
      expect(msg).toContain(step);
    expect(msg.split('dependency cycle').length).toBe(2); // reported once
  });

  it('keeps the topologies a kept one waits for when the run is narrowed to it', () => {
    const s = load(manifest(`      api: [infra/redis]`));
    expect(filterSuite(s, { topologies: ['app'] }).suite.topologies.map((t) => t.name)).toEqual([
      'infra',
      'app',
    ]);
    expect(filterSuite(s, { topologies: ['infra'] }).dropped.topologies).toEqual(['app']);
  });
});

describe('depends_on on a topology: bring-up', () => {
  it('on one node: the dependent starts once the dependency is healthy, nothing else waits', async () => {
    const fake = new FakeEngine({ clock: clock(), images: [IMAGE] }).setHealth('redis', {
      healthyAfterMs: 500,
    });
    const s = load(
      manifest(`      api:
        infra/redis: { condition: service_healthy }`),
    );
    const { results, svc, stops } = await runOn(s, { local: fake });
    expect(results.status).toBe('passed');
    const redis = svc('infra', 'redis');
    expect(svc('app', 'api').startingMs).toBeGreaterThanOrEqual(redis.healthyMs!);
    // In the same topology, a service with no such dependency starts without waiting.
    expect(svc('app', 'worker').startedMs).toBeLessThanOrEqual(redis.healthyMs!);
    const calls = fake.calls.map((c) => `${c.op} ${c.target}`);
    const at = (op: string, service: string) =>
      calls.findIndex((c) => c.startsWith(op) && c.endsWith(`-${service}-1`));
    expect(at('startContainer', 'api')).toBeGreaterThan(at('startContainer', 'redis'));
    // Teardown: web (waits for api), then api (waits for redis), then redis.
    expect(stops.indexOf('web')).toBeLessThan(stops.indexOf('api'));
    expect(stops.indexOf('api')).toBeLessThan(stops.indexOf('redis'));
  });

  it('across two nodes: waits for the other engine, and stops the dependent there first', async () => {
    const shared = clock();
    const main = new FakeEngine({ node: 'main', clock: shared, images: [IMAGE] }).setHealth(
      'redis',
      { healthyAfterMs: 500 },
    );
    const pc2 = new FakeEngine({ node: 'pc2', clock: shared, images: [IMAGE] });
    const s = load(
      manifest(
        `      api:
        infra/redis: { condition: service_healthy }`,
        { nodes: true },
      ),
    );
    const { results, svc, stops } = await runOn(s, { main, pc2 });
    expect(results.status).toBe('passed');
    expect(svc('app', 'api').startingMs).toBeGreaterThanOrEqual(svc('infra', 'redis').healthyMs!);
    expect(pc2.callsTo('startContainer').map((c) => c.target)).toContain(
      `sc-${results.runId}-app-api-1`,
    );
    expect(stops.indexOf('api')).toBeLessThan(stops.indexOf('redis'));
    expect(stops.indexOf('api')).toBeGreaterThanOrEqual(0);
  });

  it('waits for a one-shot job of another topology to exit 0', async () => {
    const fake = new FakeEngine({ clock: clock(), images: [IMAGE] }).failStart('migrate', {
      exitCode: 0,
      afterMs: 300,
    });
    const s = load(
      manifest(`      api:
        infra/migrate: { condition: service_completed_successfully }`),
    );
    const { results, svc } = await runOn(s, { local: fake });
    expect(results.status).toBe('passed');
    expect(svc('infra', 'migrate').status).toBe('completed');
    expect(svc('app', 'api').startingMs).toBeGreaterThanOrEqual(svc('infra', 'migrate').healthyMs!);
  });

  it('a dependency that fails cancels the dependent, and its topology says which and why', async () => {
    const fake = new FakeEngine({ clock: clock(), images: [IMAGE] }).setHealth('redis', {
      unhealthyAfterMs: 200,
    });
    const s = load(
      manifest(`      api:
        infra/redis: { condition: service_healthy }`),
    );
    const { results, svc } = await runOn(s, { local: fake });
    expect(results.status).toBe('failed');
    const app = results.topologies.find((t) => t.name === 'app')!;
    expect(app.status).toBe('failed');
    expect(app.failure).toMatchObject({
      service: 'api',
      message:
        'service "api" waits for infra/redis (service_healthy), which failed: service "redis" is unhealthy',
      source: { line: 16, column: 9 },
      details: [],
    });
    expect(svc('app', 'api').status).toBe('cancelled');
    expect(svc('app', 'api').startingMs).toBeUndefined();
    expect(fake.callsTo('startContainer').map((c) => c.target)).not.toContain(
      `sc-${results.runId}-app-api-1`,
    );
    expect(fake.resources({ [LABEL.run]: results.runId })).toEqual({
      containers: [],
      networks: [],
      volumes: [],
    });
  });

  it('a dependency cancelled by its own topology tells the dependent what failed there', async () => {
    const fake = new FakeEngine({ clock: clock(), images: [IMAGE] })
      .setHealth('redis', { healthyAfterMs: 5000 })
      .failStart('migrate', { error: 'no space left on device' });
    const s = load(
      manifest(`      api:
        infra/redis: { condition: service_healthy }`),
    );
    const { results } = await runOn(s, { local: fake });
    expect(results.topologies.find((t) => t.name === 'app')!.failure!.message).toBe(
      `service "api" waits for infra/redis (service_healthy), which did not come up: topology "infra" failed: container sc-${results.runId}-infra-migrate-1 did not start: no space left on device`,
    );
  });
});
