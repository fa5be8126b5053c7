/**
 * The orchestration rules of seed 001 on a real engine, one test each: pull retries with
 * backoff, a failed start rolled back, tier-ordered restart that leaves user-stopped services
 * alone (from the engine's own events), and the bound on restart attempts.
 */
import { describe, expect, it } from 'vitest';
import type { ContainerEvent } from '../../src/engine/engine.js';
import { LABEL } from '../../src/common/labels.js';
import { engine, leftovers, NOTHING } from '../support/engine.js';
import { runFiles } from '../support/run.js';

const APP = 'stackcheck-fixture/app:1';
const health =
  'healthcheck: { test: [CMD, wget, -qO-, "http://localhost:8080/health"], interval: 300ms, retries: 50 }';

function manifest(services: string, extra = '') {
  return {
    'stackcheck.yml': `version: 1
name: {{SUITE}}
topologies:
  t:
    publish: ephemeral
    wait: { timeout: 60s }
    services:
${services}
${extra}`,
  };
}

/** Every container event of stackcheck runs while `fn` runs; the caller filters by run id. */
async function recordingEvents<T>(
  fn: () => Promise<T>,
): Promise<{ value: T; events: ContainerEvent[] }> {
  const events: ContainerEvent[] = [];
  const ctl = new AbortController();
  const listening = (async () => {
    for await (const e of engine.containerEvents({ [LABEL.run]: true }, ctl.signal)) events.push(e);
  })();
  try {
    return { value: await fn(), events };
  } finally {
    ctl.abort();
    await listening;
  }
}

describe('orchestration rules on a real engine', () => {
  it('retries a failing pull with the configured backoff, names every attempt, and leaves nothing', async () => {
    // Nothing listens on port 9 of the loopback: the engine's pull fails on the network, as with a registry that is down.
    const t0 = performance.now();
    const { results, suite } = await runFiles(
      manifest(
        `      up: { image: ${APP}, ${health} }
      needs-pull: { image: "127.0.0.1:9/stackcheck/absent:1" }
`,
        'images: { pull: { attempts: 3, backoff: [400ms, 800ms] } }\n',
      ),
    );
    expect(results.status).toBe('error');
    const failure = results.topologies[0]!.failure!;
    expect(failure.service).toBe('needs-pull');
    expect(failure.message).toMatch(
      /^image 127\.0\.0\.1:9\/stackcheck\/absent:1 is not on node "local" and pulling it failed 3 times \(400ms, 800ms apart\): attempt 1: .+; attempt 2: .+; attempt 3: .+\. Build it there first/,
    );
    expect(failure.message).toMatch(/connection refused/);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(1200);
    expect(await leftovers({ suite })).toEqual(NOTHING);
  });

  it('rolls back a start whose process exits at once: the run fails and every created resource is removed', async () => {
    const { results, suite } = await runFiles(
      manifest(
        `      db: { image: ${APP}, ${health} }
      app: { image: ${APP}, command: [sh, -c, "echo cannot open config; exit 3"], depends_on: { db: { condition: service_healthy } } }
`,
      ),
    );
    expect(results.status).toBe('failed');
    expect(results.topologies[0]!.failure).toMatchObject({
      service: 'app',
      message: 'service "app" exited with code 3',
    });
    expect(results.topologies[0]!.failure!.details.join('\n')).toContain('cannot open config');
    expect(results.teardown).toMatchObject({ kept: false, containers: 2, networks: 1, errors: [] });
    expect(await leftovers({ suite })).toEqual(NOTHING);
  });

  it('restarts a topology tier by tier: the app starts after the database is healthy, the user-stopped worker stays down', async () => {
    const { value, events } = await recordingEvents(() =>
      runFiles(
        manifest(
          `      db: { image: ${APP}, init: true, environment: { HEALTHY_AFTER: "1500" }, ${health} }
      app: { image: ${APP}, init: true, depends_on: { db: { condition: service_healthy } }, ${health} }
      worker: { image: ${APP}, init: true }
`,
          `scenarios:
  - name: restart around a stopped worker
    steps:
      - stop: { service: worker }
      - restart: { topology: t }
`,
        ),
      ),
    );
    const { results, suite } = value;
    const sc = results.scenarios[0]!;
    expect(sc.status, JSON.stringify(sc.steps)).toBe('passed');
    expect(sc.steps[1]!.message).toBe(
      'restarted topology t: db → app; left stopped (stopped by a `stop` step): worker',
    );

    const mine = events.filter((e) => e.labels[LABEL.run] === results.runId);
    const restartBegan = mine.find(
      (e) => e.labels[LABEL.service] === 'app' && e.action === 'kill',
    )!.timeMs;
    const at = (service: string, action: string) =>
      mine
        .filter(
          (e) =>
            e.labels[LABEL.service] === service && e.action === action && e.timeMs >= restartBegan,
        )
        .map((e) => e.timeMs);
    // Stop: the app (dependent) is down before the database is asked to stop.
    expect(at('app', 'die')[0]!).toBeLessThanOrEqual(at('db', 'kill')[0]!);
    // Start: the app starts once the database's healthcheck can pass (HEALTHY_AFTER 1.5 s after
    // its start, on the engine's own clock), whoever saw it pass first: stackcheck's own run of
    // the healthcheck often does, before the engine's next tick reports it.
    const dbStart = at('db', 'start')[0]!;
    expect(at('app', 'start')[0]!).toBeGreaterThanOrEqual(dbStart + 1500);
    expect(at('db', 'health_status: healthy')[0]! - dbStart).toBeGreaterThanOrEqual(1500);
    // The worker the user stopped was neither stopped again nor started.
    expect(at('worker', 'start')).toEqual([]);
    expect(await leftovers({ suite })).toEqual(NOTHING);
  });

  it('calls services healthy by their own healthcheck, run by stackcheck once every start has returned', async () => {
    // The engine's first healthcheck is 30 s after each start: every exec seen here is stackcheck's.
    const slowTick =
      'healthcheck: { test: [CMD, wget, -qO-, "http://localhost:8080/health"], interval: 30s }';
    const names = ['s1', 's2', 's3', 's4', 's5', 's6'];
    const { value, events } = await recordingEvents(() =>
      runFiles(manifest(names.map((n) => `      ${n}: { image: ${APP}, ${slowTick} }\n`).join(''))),
    );
    const { results, suite } = value;
    expect(results.status).toBe('passed');
    for (const s of results.topologies[0]!.services)
      expect(s).toMatchObject({ status: 'healthy', healthSource: 'probe' });
    const mine = events.filter((e) => e.labels[LABEL.run] === results.runId);
    const starts = mine.filter((e) => e.action === 'start').map((e) => e.timeMs);
    const execs = mine.filter((e) => e.action.startsWith('exec_start')).map((e) => e.timeMs);
    expect(starts).toHaveLength(names.length);
    expect(execs.length).toBeGreaterThanOrEqual(names.length);
    // An exec slows the engine's other starts (bench/README.md): none runs before the last start.
    expect(Math.min(...execs)).toBeGreaterThanOrEqual(Math.max(...starts));
    expect(await leftovers({ suite })).toEqual(NOTHING);
  });

  it('gives up on a service that does not come back after the maximum attempts', async () => {
    const { results, suite } = await runFiles(
      manifest(
        // Its first start succeeds; every later one finds the marker and exits 4, as a service with a corrupt state would.
        `      db: { image: ${APP}, init: true, ${health} }
      api: { image: ${APP}, init: true, command: [sh, -c, "if [ -e /tmp/ran ]; then echo corrupt state; exit 4; fi; touch /tmp/ran; exec node /app/server.js"], depends_on: [db] }
`,
        `scenarios:
  - name: bounded
    steps:
      - restart: { topology: t, attempts: 2, backoff: [300ms] }
`,
      ),
    );
    const st = results.scenarios[0]!.steps[0]!;
    expect(st.status).toBe('failed');
    expect(st.message).toMatch(
      /^restarting topology t: sc-\w+-t-api-1 \(service "api"\) did not come back after 2 attempts: attempt 1: exited with code 4; attempt 2: exited with code 4$/,
    );
    expect(await leftovers({ suite })).toEqual(NOTHING);
  });
});
