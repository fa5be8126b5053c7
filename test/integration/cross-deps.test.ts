/**
 * A topology's `depends_on` on real engines: a service waits for a service of another
 * topology, on the same engine and on the test bed's second engine, and is asked to start
 * only once that one is healthy while the rest of its topology starts at once; a dependency
 * that never gets healthy cancels the dependent with its reason. Orchestration details
 * (teardown order, cycles) are in test/unit/cross-deps.test.ts.
 */
import { describe, expect, it } from 'vitest';
import type { RunResults } from '../../src/model/results.js';
import { leftovers, leftoversAt, NOTHING } from '../support/engine.js';
import { runFiles } from '../support/run.js';
import { secondEngine } from '../support/second-engine.js';

const BUSYBOX = 'stackcheck-fixture/busybox:1';
const bed = secondEngine();

/** infra/redis is healthy about 3 s after it starts; app/api waits for that, app/worker does not. */
function manifest(opts: { nodes?: string; infraNode?: string; healthy?: boolean } = {}) {
  // Failures in the start period do not count: redis gets healthy however slow the machine.
  const check =
    opts.healthy === false
      ? 'test: [CMD, "false"], interval: 200ms, retries: 3'
      : 'test: [CMD-SHELL, "test -f /tmp/ready"], interval: 200ms, start_period: 30s';
  return `version: 1
name: {{SUITE}}
${opts.nodes ?? ''}topologies:
  infra:
${opts.infraNode ? `    node: ${opts.infraNode}\n` : ''}    wait: { timeout: 30s }
    services:
      redis:
        image: ${BUSYBOX}
        init: true
        command: [sh, -c, "sleep 3; touch /tmp/ready; exec sleep 3600"]
        healthcheck: { ${check} }
  app:
${opts.nodes ? '    node: main\n' : ''}    wait: { timeout: 30s, stable: 300ms }
    depends_on:
      api:
        infra/redis: { condition: service_healthy }
    services:
      api:
        image: ${BUSYBOX}
        init: true
        command: [sleep, "3600"]
      worker:
        image: ${BUSYBOX}
        init: true
        command: [sleep, "3600"]
`;
}

function service(r: RunResults, topology: string, name: string) {
  return r.topologies.find((t) => t.name === topology)!.services.find((s) => s.name === name)!;
}

function expectOrdered(r: RunResults) {
  expect(r.topologies.map((t) => [t.name, t.status])).toEqual([
    ['infra', 'passed'],
    ['app', 'passed'],
  ]);
  const redis = service(r, 'infra', 'redis');
  const api = service(r, 'app', 'api');
  const worker = service(r, 'app', 'worker');
  expect(redis.status).toBe('healthy');
  // Asked to start only once its dependency in the other topology was healthy …
  expect(api.startingMs).toBeGreaterThanOrEqual(redis.healthyMs!);
  // … while its own topology's other service did not wait (redis takes 3 s to be healthy).
  expect(worker.startingMs).toBeLessThan(redis.healthyMs!);
}

describe('depends_on across topologies, on one engine', () => {
  it('starts the dependent once the dependency is healthy, and nothing else later', async () => {
    const { results, suite } = await runFiles({ 'stackcheck.yml': manifest() });
    expectOrdered(results);
    expect(await leftovers({ suite })).toEqual(NOTHING);
  });

  it('a dependency that never gets healthy cancels the dependent, naming it', async () => {
    const { results, suite } = await runFiles({
      'stackcheck.yml': manifest({ healthy: false }),
    });
    const app = results.topologies.find((t) => t.name === 'app')!;
    expect(app.status).toBe('failed');
    expect(app.failure!.message).toBe(
      'service "api" waits for infra/redis (service_healthy), which failed: service "redis" is unhealthy',
    );
    expect(service(results, 'app', 'api')).toMatchObject({ status: 'cancelled' });
    expect(service(results, 'app', 'api').startingMs).toBeUndefined();
    expect(await leftovers({ suite })).toEqual(NOTHING);
  });
});

describe.skipIf(!bed.ok)('depends_on across topologies, on two engines', () => {
  it('waits for the service on the other engine', async () => {
    if (!bed.ok) return;
    const nodes = `nodes:
  main: {}
  pc2: { docker: "${bed.tcp}", address: ${bed.address} }
images: { carry: true }
`;
    const { results, suite } = await runFiles({
      'stackcheck.yml': manifest({ nodes, infraNode: 'pc2' }),
    });
    expect(results.topologies.map((t) => t.node)).toEqual(['pc2', 'main']);
    expectOrdered(results);
    expect(await leftoversAt(bed.tcp, { suite })).toEqual(NOTHING);
    expect(await leftovers({ suite })).toEqual(NOTHING);
  });
});
