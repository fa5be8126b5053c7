/**
 * Attach on the real engine: the stack of examples/attach, started by `docker compose up -d`
 * (or compose 1.29's `docker-compose`, the Debian package) exactly as a user deploys it, is checked by suites with
 * `attach: true`. After every run — passed, failed, cancelled by SIGINT, killed and cleaned up
 * by `stackcheck down` — the same containers run with the same ids, and nothing stackcheck
 * made is left. The project is named after a unique folder, so it meets no one else's.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { UserError } from '../../src/common/errors.js';
import { loadSuites } from '../../src/manifest/load.js';
import { COMPOSE_LABEL } from '../../src/orchestrator/attach.js';
import type { RunResults } from '../../src/model/results.js';
import { run } from '../../src/run.js';
import { CliProcess, cli } from '../support/cli.js';
import { engine, leftovers, NOTHING, uniqueSuite } from '../support/engine.js';

const root = mkdtempSync(join(tmpdir(), 'stackcheck-attach-'));
const project = `scattach${process.pid}${Math.random().toString(36).slice(2, 6)}`;
const dir = join(root, project);

/** Compose v2 (`docker compose`) where the runner has it, else compose v1 (`docker-compose`). */
const COMPOSE = (() => {
  try {
    execFileSync('docker', ['compose', 'version'], { stdio: 'pipe' });
    return ['docker', 'compose'];
  } catch {
    return ['docker-compose'];
  }
})();

function compose(...args: string[]): void {
  execFileSync(COMPOSE[0]!, [...COMPOSE.slice(1), ...args], { cwd: dir, stdio: 'pipe' });
}

/** A service's container name as the compose in use writes it: v1 `p_web_1`, v2 `p-web-1`. */
const SEP = COMPOSE.length === 2 ? '-' : '_';
const cname = (service: string) => `${project}${SEP}${service}${SEP}1`;

/** Every container of the project: name, id and state, in name order. */
async function stack(): Promise<{ name: string; id: string; status: string }[]> {
  const list = await engine.listContainers({ [COMPOSE_LABEL.project]: project });
  const states = await Promise.all(list.map((c) => engine.inspectContainer(c.id)));
  return states
    .map((s) => ({ name: s.name, id: s.id, status: s.status }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * Waits until every container of the project runs and, where it has a healthcheck, is healthy:
 * an earlier test's crash may still be coming back through the restart policy.
 */
async function settled(timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const list = await engine.listContainers({ [COMPOSE_LABEL.project]: project });
    const states = await Promise.all(list.map((c) => engine.inspectContainer(c.id)));
    if (
      states.every((s) => s.status === 'running' && (s.health?.status ?? 'healthy') === 'healthy')
    )
      return;
    if (Date.now() > deadline)
      throw new Error(
        `the stack did not settle: ${JSON.stringify(states.map((s) => [s.name, s.status, s.health?.status]))}`,
      );
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Runs a manifest of the project's folder in this process, under a unique suite name. */
async function runManifest(file: string, extra = ''): Promise<RunResults> {
  const path = join(dir, `${uniqueSuite('attach')}.yml`);
  const text = readFileSync(join(dir, file), 'utf8').replace(
    /^name: .*$/m,
    `name: ${uniqueSuite('attach')}`,
  );
  writeFileSync(path, text + extra);
  const [suite] = loadSuites(path, { env: process.env });
  return run(suite!);
}

/** Writes a manifest into the project's folder (the `{{SUITE}}` placeholder made unique). */
function manifest(text: string): string {
  const name = `${uniqueSuite('attach')}.yml`;
  writeFileSync(join(dir, name), text.replaceAll('{{SUITE}}', uniqueSuite('attach')));
  return name;
}

const byName = <T extends { name: string }>(list: T[]) =>
  Object.fromEntries(list.map((x) => [x.name, x]));

let before: Awaited<ReturnType<typeof stack>>;

beforeAll(async () => {
  cpSync('examples/attach', dir, { recursive: true });
  compose('up', '-d');
  before = await stack();
  expect(before.map((c) => c.status)).toEqual(['running', 'running', 'running', 'running']);
}, 120_000);

afterAll(() => {
  compose('down', '-t', '1');
  rmSync(root, { recursive: true, force: true });
}, 120_000);

describe('attach to a stack docker-compose started', () => {
  it('checks it: every check passes, each service is found, and the same containers run afterwards', async () => {
    const r = await runManifest('stackcheck.yml');
    expect(
      r.checks.filter((c) => c.status !== 'passed').map((c) => `${c.name}: ${c.message}`),
    ).toEqual([]);
    expect(r.status).toBe('passed');
    const t = r.topologies[0]!;
    expect(t.attached!.project).toBe(project);
    expect(t.attached!.services.map((s) => [s.name, s.state, s.containers])).toEqual([
      ['store', 'found', [cname('store')]],
      ['api', 'found', [cname('api')]],
      ['web', 'found', [cname('web')]],
      ['worker', 'found', [cname('worker')]],
    ]);
    // A `from:` probe ran in web's network namespace: its sidecar was the run's own, and is gone.
    expect(r.teardown).toEqual({ kept: false, containers: 1, networks: 0, volumes: 0, errors: [] });
    expect(await leftovers({ runId: r.runId })).toEqual(NOTHING);
    expect(await stack()).toEqual(before);
  }, 120_000);

  it('fails the checks that should fail, reports a missing and an extra service, and still leaves the stack alone', async () => {
    const r = await runManifest(
      'stackcheck.yml',
      `  - name: a route the web front does not have
    http: { service: web, port: 8080, path: /nope }
    expect: { status: 200 }
  - name: two api replicas
    count: { service: api, equals: 2 }
`,
    );
    const checks = byName(r.checks);
    expect(r.status).toBe('failed');
    expect(checks['a route the web front does not have']!.status).toBe('failed');
    expect(checks['two api replicas']!.message).toBe('1 running replicas of api, expected 2');
    expect(checks['the worker runs with a real machine id']!.status).toBe('passed');

    // The compose files say "cache" and not "worker": one is missing, the other extra.
    writeFileSync(
      join(dir, 'partial.yml'),
      readFileSync(join(dir, 'docker-compose.yml'), 'utf8')
        .replace(/ {2}worker:[\s\S]*$/, '')
        .concat('  cache:\n    image: stackcheck-fixture/app:1\n'),
    );
    const partial = await run(
      loadSuites(
        join(
          dir,
          manifest(`version: 1
name: {{SUITE}}
topologies:
  shop:
    compose: partial.yml
    attach: { project: ${project} }
    wait: { timeout: 20s }
checks:
  - name: web answers
    http: { service: web, port: 8080, path: /health }
`),
        ),
        { env: process.env },
      )[0]!,
    );
    const t = partial.topologies[0]!;
    expect(t.status).toBe('failed');
    expect(Object.fromEntries(t.attached!.services.map((s) => [s.name, s.state]))).toEqual({
      store: 'found',
      api: 'found',
      web: 'found',
      cache: 'missing',
      worker: 'extra',
    });
    expect(t.failure!.message).toBe(
      `service "cache" is missing: no container of compose project "${project}" on node "local" has com.docker.compose.service=cache`,
    );
    expect(partial.checks[0]).toMatchObject({
      status: 'skipped',
      message: 'not run: topology shop did not come up',
    });
    expect(await stack()).toEqual(before);
  }, 120_000);

  it('without `allow`, the resilience scenarios are a load error at each disturbing step', () => {
    const text = readFileSync(join(dir, 'resilience.yml'), 'utf8');
    const path = join(dir, 'refused.yml');
    writeFileSync(path, text.replace(/^ {4}allow: .*\n/m, ''));
    let problems: string[] = [];
    try {
      loadSuites(path, { env: process.env });
    } catch (e) {
      if (!(e instanceof UserError)) throw e;
      problems = e.problems.map((p) => `${p.pos!.line} ${p.message.split(' would ')[0]}`);
    }
    const lineOf = (needle: string) =>
      text
        .replace(/^ {4}allow: .*\n/m, '')
        .split('\n')
        .findIndex((l) => l.includes(needle)) + 1;
    expect(problems).toEqual([
      `${lineOf('- crash: { service: web }')} step crash: crash`,
      `${lineOf('- partition: { between: [web, api] }')} step partition: partition`,
      `${lineOf('- chaos:')} step chaos: chaos`,
      `${lineOf('- stop: { service: worker }')} step stop: stop`,
    ]);
  });

  it('with `allow`, a crash, a stop, a partition and chaos are all undone by the end', async () => {
    const r = await runManifest('resilience.yml');
    expect(
      r.scenarios.flatMap((s) =>
        s.steps
          .filter((x) => x.status !== 'passed')
          .map((x) => `${s.name} › ${x.name}: ${x.message}`),
      ),
    ).toEqual([]);
    expect(r.status).toBe('passed');
    const sc = byName(r.scenarios);
    expect(sc['the web front loses the api while they are partitioned']!.faults).toMatchObject([
      { kind: 'partition', reason: 'a heal step' },
    ]);
    // The stop was measured from the engine's events for the project's containers: SIGTERM first.
    const stop = sc['the shop answers while the worker is stopped']!.steps[0]!;
    expect((stop.evidence.containers as { signal?: string }[])[0]!.signal).toBe('15');
    const chaos = sc['random chaos among the backends']!.steps[0]!;
    const seed = chaos.evidence.seed as number;
    expect(chaos.message).toContain(`write \`seed: ${seed}\` to replay this choice`);
    // The stopped worker was left stopped by its scenario; the end of the run started it again.
    expect(r.teardown).toMatchObject({
      kept: false,
      errors: [],
      // (exit code 137 when the chaos step had crashed the worker just before)
      restored: [
        expect.stringMatching(
          `^started ${cname('worker')} again \\(it was exited, exit code (0|137)\\)$`,
        ),
      ],
    });
    expect(await leftovers({ runId: r.runId })).toEqual(NOTHING);
    expect(await stack()).toEqual(before);
    // The partition's rules are gone: web reaches api again, straight from its own container.
    const web = before.find((c) => c.name === cname('web'))!;
    const res = await engine.exec(web.id, { cmd: ['wget', '-qO-', 'http://api:8080/health'] });
    expect(res.exitCode).toBe(0);

    // The same seed picks the same replica again.
    const replay = await run(
      loadSuites(
        join(
          dir,
          manifest(`version: 1
name: {{SUITE}}
topologies:
  shop:
    compose: docker-compose.yml
    attach: true
    allow: [lifecycle]
scenarios:
  - name: replay
    steps:
      - chaos: { among: [api, worker], pick: 1, action: crash, seed: ${seed} }
`),
        ),
        { env: process.env },
      )[0]!,
    );
    const replayed = replay.scenarios[0]!.steps[0]!;
    expect(replayed.status).toBe('passed');
    expect(replayed.evidence.picked).toEqual(chaos.evidence.picked);
    expect(await stack()).toEqual(before);
  }, 300_000);
});

describe('attach when the runner is interrupted', () => {
  // Each run attaches to a stack at rest, as a deployed one is.
  beforeEach(() => settled(), 90_000);

  const disturb = (extraSteps: string) =>
    manifest(`version: 1
name: {{SUITE}}
topologies:
  shop:
    compose: docker-compose.yml
    attach: true
    allow: [lifecycle, faults]
scenarios:
  - name: disturb and wait
    steps:
      - stop: { service: worker }
${extraSteps}      - sleep: 10m
`);

  it('SIGINT while a service is stopped and another paused: exit 130, and the stack runs as before', async () => {
    const p = new CliProcess(['run', disturb('      - pause: { service: api }\n')], { cwd: dir });
    await p.waitFor(/passed +disturb and wait › pause api/, 120_000);
    expect((await stack()).map((c) => c.status)).toEqual([
      'paused',
      'running',
      'running',
      'exited',
    ]);
    p.child.kill('SIGINT');
    const r = await p.done;
    expect(r.code).toBe(130);
    expect(r.stderr).toContain(`started ${cname('worker')} again`);
    expect(await stack()).toEqual(before);
  }, 180_000);

  it('SIGKILL in the middle of a stop and a partition, then `stackcheck down`: the stack runs as before, healed', async () => {
    // --keep: a concurrent test's run would otherwise sweep (and so restore) the dead run first.
    const p = new CliProcess(
      ['run', disturb('      - partition: { between: [web, api] }\n'), '--keep'],
      { cwd: dir },
    );
    await p.waitFor(/passed +disturb and wait › partition web ↔ api/, 120_000);
    const runId = /run ([0-9a-f]{8}):/.exec(p.stderr)![1]!;
    p.child.kill('SIGKILL');
    await p.done;
    const web = before.find((c) => c.name === cname('web'))!;
    const reachApi = async () =>
      (
        await engine.exec(web.id, {
          cmd: ['timeout', '3', 'wget', '-q', '-O', '/dev/null', 'http://api:8080/health'],
        })
      ).exitCode;
    expect(await reachApi()).not.toBe(0); // the partition outlived its runner
    expect((await stack()).find((c) => c.name === cname('worker'))!.status).toBe('exited');

    const down = await cli(['down', '--run', runId], { cwd: dir });
    expect(down.code).toBe(0);
    expect(down.stdout).toContain(
      `attached stack left as found: started ${cname('worker')} again (it was exited, exit code 0)`,
    );
    expect(await stack()).toEqual(before);
    expect(await reachApi()).toBe(0);
    expect(await leftovers({ runId })).toEqual(NOTHING);
  }, 240_000);
});
