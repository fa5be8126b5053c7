import { describe, expect, it } from 'vitest';
import type { ScenarioResult } from '../../src/model/results.js';
import { sweep } from '../../src/orchestrator/sweep.js';
import { engine, leftovers, NOTHING } from '../support/engine.js';
import { runFiles } from '../support/run.js';

const APP = 'stackcheck-fixture/app:1';
const health =
  'healthcheck: { test: [CMD, wget, -qO-, "http://localhost:8080/health"], interval: 300ms, retries: 50 }';

function manifest(scenarios: string, services: string) {
  return {
    'stackcheck.yml': `version: 1
name: {{SUITE}}
topologies:
  t:
    publish: ephemeral
    services:
${services}
scenarios:
${scenarios}`,
  };
}

function byName(list: ScenarioResult[]) {
  return Object.fromEntries(list.map((s) => [s.name, s]));
}

describe('lifecycle scenarios on a real engine', () => {
  it('measures stop grace periods from engine events and asserts them', async () => {
    const { results, suite } = await runFiles(
      manifest(
        `  - name: long enough
    steps:
      - stop: { service: stubborn }
        expect: { graceAtLeast: 1500ms }
      - start: { service: stubborn }
  - name: too short
    steps:
      - stop: { service: stubborn }
        expect: { graceAtLeast: 5s }
      - start: { service: stubborn }
  - name: a polite service exits on SIGTERM
    steps:
      - stop: { service: polite }
`,
        `      stubborn: { image: ${APP}, init: true, environment: { IGNORE_SIGTERM: "1" }, stop_grace_period: 2s, ${health} }
      polite: { image: ${APP}, init: true, ${health} }
`,
      ),
    );
    const sc = byName(results.scenarios);
    const longEnough = sc['long enough']!.steps[0]!;
    expect(longEnough.status).toBe('passed');
    const measured = (
      longEnough.evidence.containers as {
        killedAfterMs: number;
        signal: string;
        configuredGraceS: number;
      }[]
    )[0]!;
    expect(measured.configuredGraceS).toBe(2);
    expect(measured.signal).toBe('15');
    expect(measured.killedAfterMs).toBeGreaterThanOrEqual(1900);
    expect(measured.killedAfterMs).toBeLessThan(4000);

    expect(sc['too short']!.status).toBe('failed');
    expect(sc['too short']!.steps[0]!.message).toMatch(
      /configured with a 2s grace period, less than 5s/,
    );
    expect(sc['too short']!.steps[1]).toMatchObject({
      status: 'skipped',
      message: 'not run: step 1 (stop stubborn) failed',
    });

    const polite = sc['a polite service exits on SIGTERM']!.steps[0]!;
    const p = (
      polite.evidence.containers as { exitedAfterMs?: number; killedAfterMs?: number }[]
    )[0]!;
    expect(p.killedAfterMs).toBeUndefined();
    expect(p.exitedAfterMs).toBeLessThan(1500);
    expect(await leftovers({ suite })).toEqual(NOTHING);
  });

  it('a crash is restarted by the restart policy; a kill through the API is not', async () => {
    const { results, suite } = await runFiles(
      manifest(
        `  - name: crash
    steps:
      - crash: { service: crashy }
      - check: { http: { service: crashy, port: 8080, path: /health }, retry: { timeout: 30s, interval: 300ms } }
  - name: kill
    steps:
      - kill: { service: killed }
`,
        `      crashy: { image: ${APP}, restart: on-failure, ports: ["8080"], ${health} }
      killed: { image: ${APP}, restart: on-failure, ${health} }
`,
      ),
      { keep: true },
    );
    try {
      expect(byName(results.scenarios).crash!.status).toBe('passed');
      expect(byName(results.scenarios).kill!.status).toBe('passed');
      const [crashy] = await engine.listContainers({
        'io.stackcheck.run': results.runId,
        'io.stackcheck.service': 'crashy',
      });
      const [killed] = await engine.listContainers({
        'io.stackcheck.run': results.runId,
        'io.stackcheck.service': 'killed',
      });
      const c = await engine.inspectContainer(crashy!.id);
      expect(c.restartCount).toBe(1);
      expect(c.running).toBe(true);
      const k = await engine.inspectContainer(killed!.id);
      expect(k.restartCount).toBe(0);
      expect(k.running).toBe(false);
    } finally {
      await sweep(engine, { runId: results.runId });
    }
    expect(await leftovers({ suite })).toEqual(NOTHING);
  });

  it('heals a fault when its `for:` runs out, and always at the end of the scenario', async () => {
    const { results, suite } = await runFiles(
      manifest(
        `  - name: paused answers nothing
    steps:
      - pause: { service: web }
      # The limit bounds the state read too: a paused container fails at once, whatever it is.
      - check: { http: { service: web, port: 8080, path: /health }, timeout: 5s }
  - name: healed by its timer
    steps:
      - pause: { service: web }
        for: 1s
      - check: { http: { service: web, port: 8080, path: /health }, timeout: 500ms, retry: { timeout: 15s, interval: 200ms } }
  - name: a stopped service cannot be paused
    steps:
      - stop: { service: web }
      - pause: { service: web }
      - start: { service: web }
`,
        `      web: { image: ${APP}, ports: ["8080"], ${health} }
`,
      ),
    );
    const sc = byName(results.scenarios);
    expect(sc['paused answers nothing']!.status).toBe('failed');
    expect(sc['paused answers nothing']!.steps[1]!.message).toMatch(
      /^sc-\w+-t-web-1 is not running \(paused\)$/,
    );
    // The failed scenario still healed its pause, or the next scenario could not pass.
    expect(sc['paused answers nothing']!.faults).toEqual([
      expect.objectContaining({
        kind: 'pause',
        reason: 'the end of the scenario',
        mechanism: 'cgroup freezer (engine pause)',
      }),
    ]);
    expect(sc['healed by its timer']!.status).toBe('passed');
    expect(sc['healed by its timer']!.faults).toEqual([
      expect.objectContaining({ kind: 'pause', reason: 'its 1s ran out' }),
    ]);
    const stopped = sc['a stopped service cannot be paused']!;
    expect(stopped.steps[1]).toMatchObject({
      status: 'error',
      // After stackcheck's words, the engine's own, whose wording differs by engine and version
      // ("Container <id> is not running" before Docker 26, "container <id> …" since).
      message: expect.stringMatching(/^cannot pause [\w-]+-t-web-1: .*\bnot running\b/i),
    });
    expect(stopped.steps[2]).toMatchObject({
      status: 'skipped',
      message: 'not run: step 2 (pause web) error',
    });
    expect(stopped.faults).toEqual([]);
    expect(await leftovers({ suite })).toEqual(NOTHING);
  });

  it('recreates a service from the plan: named volume kept, fresh filesystem, found by name and port', async () => {
    const probe = (from: string) =>
      `      - check: { http: { service: store, port: 8080, path: /health, from: ${from} }, retry: { timeout: 10s, interval: 300ms } }\n`;
    const { results, suite } = await runFiles(
      manifest(
        `  - name: redeploy
    steps:
      - check: { exec: { service: store, command: "echo kept > /data/marker && echo scratch > /tmp/scratch" } }
${probe('store')}      - recreate: { service: store }
      - check: { exec: { service: store, command: [cat, /data/marker] }, expect: { stdout: kept } }
      - check: { exec: { service: store, command: "test ! -e /tmp/scratch" } }
      - check: { http: { service: store, port: 8080, path: /health } }
${probe('store')}${probe('client')}      - check: { state: { service: store, running: true, healthy: true, restarts: 0 } }
`,
        `      store: { image: ${APP}, init: true, ports: ["8080"], volumes: [data:/data], ${health} }
      client: { image: ${APP}, init: true, ${health} }
    volumes:
      data: {}
`,
      ),
    );
    const sc = byName(results.scenarios).redeploy!;
    expect(sc.steps.map((x) => [x.name, x.status, x.status === 'passed' ? '' : x.message])).toEqual(
      sc.steps.map((x) => [x.name, 'passed', '']),
    );
    const step = sc.steps[2]!;
    const [re] = step.evidence.recreated as { oldId: string; newId: string; back: string }[];
    expect(re!.newId).not.toBe(re!.oldId);
    expect(re!.back).toBe('healthy');
    expect(await leftovers({ suite })).toEqual(NOTHING);
  });

  it('keeps a volume across a restart, and brings a node back after it went down', async () => {
    const { results, suite } = await runFiles(
      manifest(
        `  - name: data survives a restart
    steps:
      - check: { exec: { service: store, command: "echo kept > /data/marker" } }
      - check: { http: { service: store, port: 8080, path: /health, from: store } }
      - restart: { service: store }
      - check: { exec: { service: store, command: [cat, /data/marker] }, expect: { stdout: kept } }
      - name: a probe from inside the restarted service sees its new network
        check: { http: { service: store, port: 8080, path: /health, from: store } }
  - name: node down and up
    steps:
      - down: { node: local }
      - check: { http: { service: store, port: 8080, path: /health }, timeout: 1s }
  - name: back up
    steps:
      - up: { node: local }
      - check: { http: { service: store, port: 8080, path: /health }, retry: { timeout: 20s, interval: 300ms } }
`,
        `      store: { image: ${APP}, init: true, ports: ["8080"], volumes: [data:/data], ${health} }
    volumes:
      data: {}
`,
      ),
    );
    const sc = byName(results.scenarios);
    expect(sc['data survives a restart']!.status).toBe('passed');
    // The restart step passes only once the container is back, so the next step needs no retry.
    expect(sc['data survives a restart']!.steps[2]!.message).toMatch(
      /^restarted store: sc-\w+-t-store-1 \(healthy\)$/,
    );
    // The first scenario's end heals the node; "node down and up" shows the check failing while down.
    expect(sc['node down and up']!.steps[0]).toMatchObject({
      status: 'passed',
      message: 'node local down: stopped 1 containers, dependents first',
    });
    expect(sc['node down and up']!.steps[1]!.status).toBe('failed');
    expect(sc['node down and up']!.faults).toEqual([
      expect.objectContaining({ kind: 'down', reason: 'the end of the scenario' }),
    ]);
    expect(sc['back up']!.status).toBe('passed');
    expect(await leftovers({ suite })).toEqual(NOTHING);
  });
});
