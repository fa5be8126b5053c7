import { readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunResults } from '../../src/model/results.js';
import { cli, CliProcess, workdir } from '../support/cli.js';
import { engine, leftovers, NOTHING, uniqueSuite } from '../support/engine.js';

const APP = 'stackcheck-fixture/app:1';
const health = `healthcheck: { test: [CMD, wget, -qO-, "http://localhost:8080/health"], interval: 500ms, retries: 20 }`;

function manifest(suite: string, extra = '') {
  return `version: 1\nname: ${suite}\ntopologies:\n  main:\n    compose: compose.yml\n    publish: ephemeral\n    wait: { timeout: 30s }\n${extra}`;
}

function readResults(dir: string): RunResults {
  return JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as RunResults;
}

describe('bring-up and teardown on a real engine', () => {
  it('runs the quickstart example: dependency order and healthy waits hold, nothing is left', async () => {
    const out = workdir({});
    const r = await cli([
      'run',
      'examples/quickstart/stackcheck.yml',
      '--json',
      join(out, 'results.json'),
    ]);
    expect(r.code, r.stderr).toBe(0);
    const res = readResults(out);
    expect(res.status).toBe('passed');
    const svc = Object.fromEntries(res.topologies[0]!.services.map((s) => [s.name, s]));
    expect(svc.store).toMatchObject({ status: 'healthy', health: 'healthy' });
    expect(svc.api).toMatchObject({ status: 'healthy', health: 'healthy' });
    expect(svc.web).toMatchObject({ status: 'healthy', health: 'healthy' });
    // Each tier starts only after the one it depends on is healthy.
    expect(svc.api!.startedMs!).toBeGreaterThanOrEqual(svc.store!.healthyMs!);
    expect(svc.web!.startedMs!).toBeGreaterThanOrEqual(svc.api!.healthyMs!);
    expect(res.teardown).toEqual({
      kept: false,
      containers: 3,
      networks: 1,
      volumes: 0,
      errors: [],
    });
    expect(await leftovers({ runId: res.runId })).toEqual(NOTHING);
    // Bring-up folds to one line per topology once all its services are up.
    expect(r.stderr).toMatch(/shop on local: 3 services healthy in \d/);
    expect(r.stderr).not.toMatch(/shop\/store +healthy/);
  });

  it('starts independent services in parallel, not tier by tier', async () => {
    const suite = uniqueSuite('parallel');
    // "slow" takes 3 s to become healthy; "quick-child" depends only on "quick" and must not wait for "slow".
    const dir = workdir({
      'stackcheck.yml': manifest(suite),
      'compose.yml': `services:
  slow: { image: ${APP}, environment: { HEALTHY_AFTER: "3000" }, ${health} }
  quick: { image: ${APP}, ${health} }
  quick-child: { image: ${APP}, depends_on: { quick: { condition: service_healthy } }, ${health} }
`,
    });
    const r = await cli(['run', 'stackcheck.yml', '--json', 'results.json'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const svc = Object.fromEntries(
      readResults(dir).topologies[0]!.services.map((s) => [s.name, s]),
    );
    expect(svc['quick-child']!.startedMs!).toBeGreaterThanOrEqual(svc.quick!.healthyMs!);
    expect(svc['quick-child']!.startedMs!).toBeLessThan(svc.slow!.healthyMs!);
    expect(await leftovers({ suite })).toEqual(NOTHING);
  });

  it('fails a run whose healthcheck fails, with the health log and the logs, and leaves nothing', async () => {
    const suite = uniqueSuite('sick');
    const dir = workdir({
      'stackcheck.yml': manifest(suite),
      'compose.yml': `services:
  sick:
    image: ${APP}
    environment: { UNHEALTHY_FILE: /tmp/sick, LOG_LINES: "booting|disk quota reached" }
    command: [sh, -c, "touch /tmp/sick && exec node /app/server.js"]
    healthcheck: { test: [CMD, wget, -qO-, "http://localhost:8080/health"], interval: 300ms, retries: 2 }
  after:
    image: ${APP}
    depends_on: { sick: { condition: service_healthy } }
`,
    });
    const r = await cli(['run', 'stackcheck.yml', '--json', 'results.json'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('service "sick" is unhealthy');
    // The engine's verdict and health log, or, where the engine runs no healthcheck (Podman
    // without systemd), stackcheck's own runs of it.
    expect(r.stderr).toMatch(
      /compose\.yml:2:3: service "sick" is unhealthy\n\s+(container sc-\w+-main-sick-1: running, health unhealthy|the engine ran none of its healthchecks)/,
    );
    expect(r.stderr).toMatch(/last health checks( \(run by stackcheck\))?:\n\s+exit 1: .*503/);
    expect(r.stderr).toContain('disk quota reached');
    const res = readResults(dir);
    expect(res.status).toBe('failed');
    const svc = Object.fromEntries(res.topologies[0]!.services.map((s) => [s.name, s]));
    expect(svc.sick!.status).toBe('failed');
    expect(svc.after!.status).toBe('cancelled');
    expect(svc.after!.startedMs).toBeUndefined();
    expect(await leftovers({ suite })).toEqual(NOTHING);
  });

  it('fails a service that exits, with its exit code and last log lines', async () => {
    const suite = uniqueSuite('crash');
    const dir = workdir({
      'stackcheck.yml': manifest(suite),
      'compose.yml': `services:\n  boom: { image: ${APP}, environment: { EXIT_AFTER_MS: "200", EXIT_CODE: "3", LOG_LINES: "config missing" } }\n`,
    });
    const r = await cli(['run', 'stackcheck.yml'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('service "boom" exited with code 3');
    expect(r.stderr).toContain('config missing');
    expect(await leftovers({ suite })).toEqual(NOTHING);
  });

  it('reports a container the engine refuses to create, with its message, and leaves nothing', async () => {
    const suite = uniqueSuite('refused');
    // A path of this test's own: an engine that creates it anyway (on the host's filesystem)
    // would make it exist for every later run.
    const missing = join(tmpdir(), `stackcheck-missing-${suite}`);
    // Engines refuse different things at create: Docker a bind source that is missing (with
    // create_host_path: false; Podman creates it), Podman a network of a container that does
    // not exist (Docker finds out only at start). This service has both.
    const dir = workdir({
      'stackcheck.yml': manifest(suite),
      'compose.yml': `services:
  web:
    image: ${APP}
    network_mode: container:sc-no-such-container-${suite}
    volumes:
      - { type: bind, source: ${missing}, target: /data, bind: { create_host_path: false } }
`,
    });
    const r = await cli(['run', 'stackcheck.yml'], { cwd: dir }).finally(() =>
      rmSync(missing, { recursive: true, force: true }),
    );
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(
      /compose\.yml:2:3: container sc-\w+-main-web-1 could not be created: \S/,
    );
    expect(await leftovers({ suite })).toEqual(NOTHING);
  });

  it('accepts a one-shot service that completes and its dependent that waits for it', async () => {
    const suite = uniqueSuite('oneshot');
    const dir = workdir({
      'stackcheck.yml': manifest(suite),
      'compose.yml': `services:
  migrate: { image: stackcheck-fixture/busybox:1, command: [sh, -c, "sleep 0.3; echo migrated"] }
  app: { image: ${APP}, depends_on: { migrate: { condition: service_completed_successfully } }, ${health} }
`,
    });
    const r = await cli(['run', 'stackcheck.yml', '--json', 'results.json'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const svc = Object.fromEntries(
      readResults(dir).topologies[0]!.services.map((s) => [s.name, s]),
    );
    expect(svc.migrate!.status).toBe('completed');
    expect(svc.app!.startedMs!).toBeGreaterThanOrEqual(svc.migrate!.healthyMs!);
  });

  describe('a host port already taken', () => {
    let server: Server;
    afterAll(() => server?.close());
    it('is an input error (exit 2) at the port line, and nothing is left', async () => {
      server = createServer();
      await new Promise<void>((r) => server.listen(0, '0.0.0.0', r));
      const port = (server.address() as { port: number }).port;
      const suite = uniqueSuite('taken');
      const dir = workdir({
        'stackcheck.yml': `version: 1\nname: ${suite}\ntopologies:\n  main:\n    compose: compose.yml\n`,
        'compose.yml': `services:\n  web:\n    image: ${APP}\n    ports:\n      - "${port}:8080"\n`,
      });
      const r = await cli(['run', 'stackcheck.yml'], { cwd: dir });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(
        `compose.yml:5:9: host port ${port} for service "web" is already in use on node "local"`,
      );
      expect(r.stderr).toContain('publish: ephemeral');
      expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
      expect(await leftovers({ suite })).toEqual(NOTHING);
    });
  });

  it('stops dependents before their dependencies and honours each stop grace period', async () => {
    const suite = uniqueSuite('grace');
    const dir = workdir({
      'stackcheck.yml': manifest(suite),
      'compose.yml': `services:
  db: { image: ${APP}, ${health} }
  app:
    image: ${APP}
    environment: { IGNORE_SIGTERM: "1" }
    stop_grace_period: 2s
    depends_on: { db: { condition: service_healthy } }
    ${health}
`,
    });
    const events: { service: string; action: string; timeMs: number }[] = [];
    const watch = new AbortController();
    const listening = (async () => {
      for await (const e of engine.containerEvents(
        { 'io.stackcheck.suite': suite },
        watch.signal,
      )) {
        events.push({
          service: e.labels['io.stackcheck.service']!,
          action: e.action,
          timeMs: e.timeMs,
        });
      }
    })();
    // Teardown starts once every service is healthy (there is nothing to check): the grace
    // counts from then. Not every engine reports the stop's SIGTERM as an event (Podman emits
    // no 'kill' for a stop), so this moment is the reference on every engine.
    const run = new CliProcess(['run', 'stackcheck.yml'], { cwd: dir });
    await run.waitFor(/services healthy/);
    const teardownFrom = Date.now();
    const r = await run.done;
    watch.abort();
    await listening;
    expect(r.code, r.stderr).toBe(0);
    const at = (service: string, action: string) =>
      events.find((e) => e.service === service && e.action === action)?.timeMs;
    const appDie = at('app', 'die')!;
    const dbDie = at('db', 'die')!;
    // app ignores SIGTERM: it is killed only after its 2 s grace period, and db stops after it.
    expect(appDie - teardownFrom).toBeGreaterThanOrEqual(1900);
    const appKill = at('app', 'kill');
    if (appKill !== undefined) expect(appDie - appKill).toBeGreaterThanOrEqual(1900);
    expect(dbDie).toBeGreaterThan(appDie);
  });
});
