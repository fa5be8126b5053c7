import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunResults } from '../../src/model/results.js';
import { engine, leftovers, NOTHING } from '../support/engine.js';
import { runExample, scenariosByName, stepLines } from '../support/example.js';
import { checksByName, runFiles } from '../support/run.js';

// The seed examples in examples/, each run once in this process against the real engine from a
// copy of its folder, with negative variants appended as extra scenarios: they must fail as
// designed, with the values the fixtures really produce.

const RUN_TIMEOUT = 240_000;

// Network faults run their tools in this image, built locally with the other fixtures.
process.env.STACKCHECK_FAULT_IMAGE ??= 'stackcheck-fixture/nettools:1';

type StopEvidence = {
  containers: {
    configuredGraceS: number;
    exitedAfterMs?: number;
    killedAfterMs?: number;
    exitCode?: number;
  }[];
};

describe('examples/app-lifecycle (seed 001)', () => {
  let results: RunResults;
  beforeAll(async () => {
    ({ results } = await runExample('app-lifecycle', {
      extraScenarios: `
- name: "negative: a stop shorter than the drain is caught, and the tracker records it"
  steps:
    - stop: { service: filebrowser, timeout: 1s }
    - start: { service: filebrowser }
    - check:
        state: { service: filebrowser, running: true, healthy: true }
        retry: { timeout: 30s, interval: 250ms }
    - name: the killed run left a start without a clean stop
      check:
        exec: { service: filebrowser, command: [cat, /data/restart-tracker.json] }
        expect: { stdout: '"starts":5,"cleanStops":3,"uncleanStops":1' }
- name: "negative: a grace period under the one required fails the stop"
  steps:
    - stop: { service: filebrowser, timeout: 1s }
      expect: { graceAtLeast: 20s }
    - start: { service: filebrowser }
`,
    }));
  }, RUN_TIMEOUT);

  it('installs the app: it is running, healthy, and its tracker counts one start', () => {
    const c = checksByName(results);
    expect(
      Object.values(c)
        .map((x) => `${x.name}: ${x.status} — ${x.message}`)
        .filter((l) => !l.includes(': passed')),
    ).toEqual([]);
    expect(c['the restart tracker exists on the data volume']!.evidence).toMatchObject({
      exitCode: 0,
      stdout: expect.stringMatching(
        /^\{"app":"filebrowser","starts":1,"cleanStops":0,"uncleanStops":0,"lastStart":"[^"]+","lastStop":null,"running":true,/,
      ),
    });
    expect(c['the app answers its health endpoint']!.evidence).toMatchObject({ status: 200 });
  });

  it('stops within the grace period (SIGTERM, a 3 s drain, exit 0, no SIGKILL), starts, and persists the tracker', () => {
    const sc =
      scenariosByName(results)[
        'stop honours the grace period, start brings the app back, the tracker counts both'
      ];
    expect(stepLines(sc).filter((l) => !l.includes(': passed'))).toEqual([]);
    expect(sc!.status).toBe('passed');
    const stop = sc!.steps[0]!.evidence as StopEvidence;
    expect(stop.containers).toHaveLength(1);
    const m = stop.containers[0]!;
    expect(m.configuredGraceS).toBe(20);
    expect(m.killedAfterMs).toBeUndefined();
    expect(m.exitedAfterMs).toBeGreaterThanOrEqual(2900);
    expect(m.exitedAfterMs).toBeLessThan(8000);
    // From the engine's SIGTERM, or, where the engine reports no signal (Podman), the stop request.
    expect(sc!.steps[0]!.message).toMatch(/exited \d+(\.\d)?s after (SIGTERM|the stop request)$/);
    expect(sc!.steps.map((s) => s.action)).toEqual([
      'stop',
      'check',
      'start',
      'check',
      'check',
      'check',
    ]);
  });

  it('restarts with a drain, and the logs stay clean', () => {
    const sc =
      scenariosByName(results)['a restart drains and comes back, and the tracker counts it'];
    expect(stepLines(sc).filter((l) => !l.includes(': passed'))).toEqual([]);
    expect(sc!.steps[2]!.evidence).toMatchObject({
      stdout: expect.stringContaining('"starts":3,"cleanStops":2,"uncleanStops":0'),
    });
  });

  it('an update recreates the container: a new id, the same volume, the tracker carried over', () => {
    const sc =
      scenariosByName(results)[
        'an update recreates the container, and the data volume carries the tracker over'
      ];
    expect(stepLines(sc).filter((l) => !l.includes(': passed'))).toEqual([]);
    const [re] = sc!.steps[0]!.evidence.recreated as { oldId: string; newId: string }[];
    expect(re!.newId).not.toBe(re!.oldId);
  });

  it('negative variants: a kill before the drain ends shows up in the tracker; a short grace fails the stop', () => {
    const sc = scenariosByName(results);
    const killed =
      sc['negative: a stop shorter than the drain is caught, and the tracker records it']!;
    expect(stepLines(killed).filter((l) => !l.includes(': passed'))).toEqual([]);
    const k = (killed.steps[0]!.evidence as StopEvidence).containers[0]!;
    expect(k.configuredGraceS).toBe(1);
    expect(k.killedAfterMs).toBeGreaterThanOrEqual(900);
    expect(k.killedAfterMs).toBeLessThan(2900); // killed before its 3 s drain could finish

    const short = sc['negative: a grace period under the one required fails the stop']!;
    expect(short.status).toBe('failed');
    expect(short.steps[0]!.message).toMatch(
      /^[\w-]+-apps-filebrowser-1 is configured with a 1s grace period, less than 20s$/,
    );
    expect(short.steps[1]).toMatchObject({ status: 'skipped' });
  });

  it('uninstalls: the teardown removes the container, its network and the data volume', async () => {
    expect(results.teardown).toMatchObject({ kept: false, containers: 1, volumes: 1, errors: [] });
    expect(await leftovers({ runId: results.runId })).toEqual(NOTHING);
  });
});

describe('examples/queen-hives (seed 002)', () => {
  const partitionScenario =
    'a partitioned hive goes stale, and alive again once the partition heals';
  let results: RunResults;
  beforeAll(async () => {
    ({ results } = await runExample('queen-hives', {
      extraScenarios: `
- name: "negative: a partition left in place keeps the hive stale"
  steps:
    - partition: { between: [queen, hive1] }
    - check:
        http: { service: queen, port: 8500, path: /hives/hive1 }
        expect: { json: { state: stale } }
        retry: { timeout: 10s, interval: 200ms }
    - check:
        http: { service: queen, port: 8500, path: /hives/hive1 }
        expect: { json: { state: alive } }
        retry: { timeout: 4s, interval: 200ms }
- name: "negative: a hive left frozen never comes back alive"
  steps:
    # Alive first: a heartbeat the previous scenario's partition held up is retransmitted by
    # the kernel even while the hive is frozen, and would make it alive again after the pause.
    - check:
        http: { service: queen, port: 8500, path: /hives/hive1 }
        expect: { json: { state: alive } }
        retry: { timeout: 15s, interval: 200ms }
    - pause: { service: hive1 }
    - check:
        http: { service: queen, port: 8500, path: /hives/hive1 }
        expect: { json: { state: stale } }
        retry: { timeout: 10s, interval: 200ms }
    - check:
        http: { service: queen, port: 8500, path: /hives/hive1 }
        expect: { json: { state: alive } }
        retry: { timeout: 4s, interval: 200ms }
`,
    }));
  }, RUN_TIMEOUT);

  it('the queen sees both hives alive with their capabilities; SSE, reach and logs pass', () => {
    const c = checksByName(results);
    expect(
      results.checks
        .map((x) => `${x.name}: ${x.status} — ${x.message}`)
        .filter((l) => !l.includes(': passed')),
    ).toEqual([]);
    expect(results.checks).toHaveLength(9);
    const body = JSON.parse(
      c['the queen sees hive1 alive and has discovered its capabilities']!.evidence.body as string,
    );
    expect(body).toMatchObject({
      id: 'hive1',
      state: 'alive',
      url: 'http://hive1:9000',
      capabilities: { id: 'hive1', devices: [{ type: 'cpu' }, { type: 'gpu', id: 'cuda:0' }] },
    });
    expect(body.lastSeenMs).toBeLessThan(1500);
    // checked right after bring-up: registered once, maybe before its first heartbeat
    expect(body.registrations).toBe(1);
    expect(body.heartbeats).toBeGreaterThanOrEqual(0);
    expect(
      c['heartbeats keep arriving (a hive was seen in the last 1.5 s)']!.evidence.repeat,
    ).toMatchObject({ attempts: 20, passed: 20 });
    const sse = c['the SSE stream reports both hives alive']!;
    expect(sse.message).toMatch(/^received at least 2 events/);
    const streamed = (sse.evidence.firstEvents as { event?: string; data: string }[])
      .filter((e) => e.event === 'hive')
      .map((e) => JSON.parse(e.data) as { id: string; state: string });
    expect(streamed.map((e) => `${e.id} ${e.state}`).sort()).toEqual([
      'hive1 alive',
      'hive2 alive',
    ]);
  });

  it('a partition makes hive1 stale (hive2 stays alive); healing it brings hive1 back', () => {
    const sc = scenariosByName(results)[partitionScenario];
    expect(stepLines(sc).filter((l) => !l.includes(': passed'))).toEqual([]);
    expect(sc!.faults).toEqual([
      expect.objectContaining({
        kind: 'partition',
        mechanism: 'iptables',
        reason: 'a heal step',
      }),
    ]);
    // stale only after the heartbeats stopped for 1.5 s: the check retried until then
    expect(sc!.steps[1]!.evidence.attempts).toBeGreaterThan(3);
    const neg =
      scenariosByName(results)['negative: a partition left in place keeps the hive stale']!;
    expect(neg.status).toBe('failed');
    expect(neg.steps[1]!.status).toBe('passed');
    expect(neg.steps[2]!.status).toBe('failed');
    expect(neg.steps[2]!.message).toMatch(
      /^JSON body: \$\.state is "stale", expected "alive" \(after \d+ attempts\)$/,
    );
    expect(neg.faults).toEqual([
      expect.objectContaining({ kind: 'partition', reason: 'the end of the scenario' }),
    ]);
  });

  it('a frozen hive goes stale and comes back; left frozen, the alive check fails', () => {
    const sc = scenariosByName(results)['a frozen hive goes stale, and alive again when it thaws'];
    expect(stepLines(sc).filter((l) => !l.includes(': passed'))).toEqual([]);
    const neg = scenariosByName(results)['negative: a hive left frozen never comes back alive']!;
    expect(neg.status).toBe('failed');
    expect(neg.steps[2]!.status).toBe('passed');
    expect(neg.steps[3]!.status).toBe('failed');
    expect(neg.steps[3]!.message).toMatch(
      /^JSON body: \$\.state is "stale", expected "alive" \(after \d+ attempts\)$/,
    );
    expect(neg.steps[3]!.evidence.attempts).toBeGreaterThan(5);
    expect(neg.faults).toEqual([
      expect.objectContaining({ kind: 'pause', reason: 'the end of the scenario' }),
    ]);
  });

  it('a crashed hive goes stale (streamed over SSE), is restarted by its policy, and rejoins', () => {
    const sc =
      scenariosByName(results)['a crashed hive goes stale, and its restart policy brings it back'];
    expect(stepLines(sc).filter((l) => !l.includes(': passed'))).toEqual([]);
    expect(sc!.steps[0]!.evidence).toMatchObject({ crashed: [{ restartCountBefore: 0 }] });
  });

  it('the queen reaches its hives over SSH: a command, an scp install, a refused key, 8 sessions at once', () => {
    const sc = scenariosByName(results)['the queen reaches its hives over SSH'];
    expect(stepLines(sc).filter((l) => !l.includes(': passed'))).toEqual([]);
    expect(sc!.steps[0]!.evidence).toMatchObject({ exitCode: 0, stdout: 'hive1\n' });
    expect(sc!.steps[2]!.evidence).toMatchObject({
      exitCode: 255,
      stderr: expect.stringContaining('Permission denied (publickey)'),
    });
  });

  it('SSH across a partition: a new session times out, an install in flight is cut, SSH is back after the heal', () => {
    const sc =
      scenariosByName(results)[
        'SSH times out across a partition, and an install in flight loses its connection'
      ];
    expect(stepLines(sc).filter((l) => !l.includes(': passed'))).toEqual([]);
    expect(sc!.steps[2]!.evidence).toMatchObject({
      exitCode: 255,
      stderr: expect.stringContaining('Connection timed out'),
    });
    // The copy needed ~16 s; it ended early, with a failure, once the partition cut it.
    expect(sc!.steps[3]!.evidence.stdout).toMatch(/scp exit [1-9]/);
    expect(sc!.faults).toEqual([
      expect.objectContaining({ kind: 'partition', reason: 'a heal step' }),
    ]);
  });

  it('a restarted queen gets both hives back: each registers again', () => {
    const sc =
      scenariosByName(results)['a queen restarted with hives attached gets every hive back'];
    expect(stepLines(sc).filter((l) => !l.includes(': passed'))).toEqual([]);
    expect(sc!.steps[2]!.evidence).toMatchObject({ status: 200 });
    const hive2 = JSON.parse(sc!.steps[2]!.evidence.body as string);
    expect(hive2.queen).toMatchObject({ registrations: 2, connected: true });
  });

  it('leaves nothing behind', async () => {
    expect(await leftovers({ runId: results.runId })).toEqual(NOTHING);
  });
});

describe('examples/rpa-workers (seed 003)', () => {
  let results: RunResults;
  let secretDir: string | undefined;
  afterAll(() => {
    if (!secretDir) return;
    rmSync(secretDir, { recursive: true, force: true });
    delete process.env.RPA_DB_PASSWORD_FILE;
  });
  beforeAll(async () => {
    // The example reads the database password from the file this variable names.
    if (!process.env.RPA_DB_PASSWORD_FILE) {
      secretDir = mkdtempSync(join(tmpdir(), 'stackcheck-secret-'));
      process.env.RPA_DB_PASSWORD_FILE = join(secretDir, 'password');
      writeFileSync(process.env.RPA_DB_PASSWORD_FILE, `pw-${randomBytes(6).toString('hex')}\n`, {
        mode: 0o644, // readable by the containers' non-root users
      });
    }
    ({ results } = await runExample('rpa-workers', {
      extraScenarios: `
- name: "negative: a worker left cut off from the database stays down"
  steps:
    - partition: { between: [rpa2, db] }
    - check:
        http: { service: rpa2, port: 8080, path: /health }
        expect: { json: { db: down } }
        retry: { timeout: 15s, interval: 250ms }
    - check:
        http: { service: rpa2, port: 8080, path: /health }
        expect: { json: { db: up } }
        retry: { timeout: 3s, interval: 250ms }
`,
    }));
  }, RUN_TIMEOUT);

  it('every check passes: non-root services, no secret in the environment, the work shared by all four workers', () => {
    expect(
      results.checks
        .map((x) => `${x.name}: ${x.status} — ${x.message}`)
        .filter((l) => !l.includes(': passed')),
    ).toEqual([]);
    const shared = checksByName(results)['every worker has completed runs (the work is shared)'];
    expect(shared!.evidence).toMatchObject({ stdout: 'rpa1a,rpa1b,rpa2,rpa3\n' });
  });

  it('the scheduler outlives a database outage: it queues, PostgreSQL gets its grace period, the queue is written back', () => {
    const sc =
      scenariosByName(results)[
        'the scheduler survives a database outage and writes what it queued'
      ];
    expect(stepLines(sc).filter((l) => !l.includes(': passed'))).toEqual([]);
    const stop = (sc!.steps[0]!.evidence as StopEvidence).containers[0]!;
    expect(stop.configuredGraceS).toBe(30);
    expect(stop.killedAfterMs).toBeUndefined();
    // Every run queued while the database was down is written once it is back.
    const down = JSON.parse(sc!.steps[1]!.evidence.body as string);
    const back = JSON.parse(sc!.steps[5]!.evidence.body as string);
    expect(down.queued).toBeGreaterThan(0);
    expect(back.flushed).toBeGreaterThanOrEqual(down.queued);
    expect(back.outages).toBeGreaterThanOrEqual(1);
  });

  it('a crashed worker comes back and resumes; a cut-off worker backs off and recovers, or stays down when not healed', () => {
    const sc = scenariosByName(results);
    for (const name of [
      'a crashed worker is restarted by its policy and resumes work',
      'a worker cut off from the database backs off, the others carry on, and it recovers',
    ])
      expect(stepLines(sc[name]).filter((l) => !l.includes(': passed'))).toEqual([]);
    const neg = sc['negative: a worker left cut off from the database stays down']!;
    expect(neg.steps.map((s) => s.status)).toEqual(['passed', 'passed', 'failed']);
    expect(neg.steps[2]!.message).toMatch(/^JSON body: \$\.db is "down", expected "up"/);
  });

  it('a worker whose flow leaks memory is killed at its limit, restarted, and works again', async () => {
    const sc =
      scenariosByName(results)[
        'a worker that runs out of memory is killed at its limit, restarted, and the others carry on'
      ];
    // An engine whose events report no OOM kill (Podman) cannot count them: those two checks
    // are skipped with the reason, never passed; the rest of the scenario still holds.
    if ((await engine.info()).oomEvents === false) {
      expect(stepLines(sc).filter((l) => !l.includes(': passed'))).toEqual([
        expect.stringMatching(
          /^rpa3 is killed for lack of memory and restarted by its policy: skipped — .*out-of-memory kills cannot be counted/,
        ),
        expect.stringMatching(
          /^another worker, on the same limit, did not run out of memory: skipped — .*out-of-memory kills cannot be counted/,
        ),
      ]);
      return;
    }
    expect(stepLines(sc).filter((l) => !l.includes(': passed'))).toEqual([]);
    expect(sc!.steps[1]!.evidence).toMatchObject({ oomKills: 1, restartCount: 1 });
    expect(sc!.steps[2]!.evidence).toMatchObject({ oomKills: 0 });
  });

  it('the database keeps its data when it is recreated on its volume', () => {
    const sc =
      scenariosByName(results)['the database is redeployed on its volume and keeps its data'];
    expect(stepLines(sc).filter((l) => !l.includes(': passed'))).toEqual([]);
    const [re] = sc!.steps[1]!.evidence.recreated as { oldId: string; newId: string }[];
    expect(re!.newId).not.toBe(re!.oldId);
  });

  it('leaves nothing behind', async () => {
    expect(results.teardown).toMatchObject({ kept: false, containers: 6, volumes: 1, errors: [] });
    expect(await leftovers({ runId: results.runId })).toEqual(NOTHING);
  });

  it('a worker without its configuration fails fast, and bring-up says why', async () => {
    const { results: r, suite } = await runFiles({
      'stackcheck.yml': `version: 1
name: {{SUITE}}
topologies:
  t:
    # Without a healthcheck, a service counts as up once it has run this long; on a loaded
    # machine node took over the default second to read its configuration and exit.
    wait: { stable: 5s }
    services:
      worker:
        image: stackcheck-fixture/rpa:1
        command: [node, /rpa/worker.js]
        environment: { WORKER_NAME: w1 }
`,
    });
    expect(r.topologies[0]).toMatchObject({
      status: 'failed',
      failure: {
        message: 'service "worker" exited with code 2',
        details: expect.arrayContaining([
          expect.stringContaining(
            'configuration error: missing environment variable PGHOST, PGPASSWORD (or PGPASSWORD_FILE)',
          ),
        ]),
      },
    });
    expect(await leftovers({ suite })).toEqual(NOTHING);
  });
});

describe('examples/gpu-workers (seed 004)', () => {
  let results: RunResults;
  beforeAll(async () => {
    ({ results } = await runExample('gpu-workers', {
      extraScenarios: `
- name: "negative: jobs submitted while the workers are cut off from Redis are not done before the heal"
  steps:
    - partition: { between: [machine, redis] }
    - check:
        http: { service: machine, port: 9090, path: /health }
        expect: { body: { regex: '"redis":"down"' } }
        retry: { timeout: 15s, interval: 250ms }
    - check:
        http: { service: monitor, port: 8080, path: '/jobs?n=20', method: POST }
    - check:
        http: { service: monitor, port: 8080, path: /stats }
        expect: { body: { regex: '"submitted":(\\d+),"completed":\\1,' } }
        retry: { timeout: 2s, interval: 250ms }
`,
    }));
  }, RUN_TIMEOUT);

  const matrix = ['1', '4'];

  it('every check passes for 1 and for 4 GPUs; the GPU check is skipped with its reason where the runner has none', () => {
    const checks = checksByName(results);
    const smi = process.env.STACKCHECK_NVIDIA_SMI ?? 'nvidia-smi';
    const hasGpu = spawnSync(smi, ['-L']).status === 0;
    for (const n of matrix) {
      const all = results.checks.filter((c) => c.name.endsWith(`[NUM_GPUS=${n}]`));
      expect(
        all.map((c) => `${c.name}: ${c.status}`).filter((l) => !l.endsWith(': passed')),
      ).toEqual(hasGpu ? [] : [`the runner has a GPU [NUM_GPUS=${n}]: skipped`]);
      if (!hasGpu)
        expect(checks[`the runner has a GPU [NUM_GPUS=${n}]`]!.message).toBe(
          'no GPU on this runner (nvidia-smi not found)',
        );
      // Redis's own view: two machines, each with one worker per GPU.
      expect(
        checks[`Redis knows both machines, each with one worker per GPU [NUM_GPUS=${n}]`]!.evidence,
      ).toMatchObject({ stdout: `${n}\n${n}\n` });
    }
  });

  it('the scenarios pass: a burst of jobs, a Redis connection drop, a download host that is down, a restart', () => {
    const sc = scenariosByName(results);
    for (const n of matrix)
      for (const name of [
        'a burst of 1000 jobs is shared by every GPU worker, streamed to 10 clients, none lost',
        'workers ride out a Redis connection drop and lose no job, not even one in flight',
        'a machine that starts while the release host is down retries its download and comes up',
        'workers keep their machine association across a restart',
      ])
        expect(
          stepLines(sc[`${name} [NUM_GPUS=${n}]`]).filter((l) => !l.includes(': passed')),
        ).toEqual([]);
    const burst =
      sc[
        'a burst of 1000 jobs is shared by every GPU worker, streamed to 10 clients, none lost [NUM_GPUS=4]'
      ]!;
    expect(burst.steps[1]!.message).toMatch(/^10 clients each received at least 20 events/);
    expect(JSON.parse(burst.steps[2]!.evidence.body as string)).toMatchObject({
      submitted: 1000,
      completed: 1000,
    });
    // Cut off mid-job, the workers still held their jobs in Redis; after the heal those were
    // done again, and every job was completed: 1000 + 8 + 50.
    const drop =
      sc[
        'workers ride out a Redis connection drop and lose no job, not even one in flight [NUM_GPUS=4]'
      ]!;
    expect(JSON.parse(drop.steps[3]!.evidence.body as string).processing).toBeGreaterThan(0);
    expect(JSON.parse(drop.steps[7]!.evidence.body as string)).toMatchObject({
      submitted: 1058,
      completed: 1058,
    });
  });

  it('a negative variant fails as designed: jobs are not done while the workers are cut off', () => {
    const sc = scenariosByName(results);
    for (const n of matrix) {
      const neg =
        sc[
          `negative: jobs submitted while the workers are cut off from Redis are not done before the heal [NUM_GPUS=${n}]`
        ]!;
      expect(neg.steps.map((s) => s.status)).toEqual(['passed', 'passed', 'passed', 'failed']);
      expect(neg.steps[3]!.message).toMatch(/^body does not match/);
      const stats = JSON.parse(neg.steps[3]!.evidence.body as string);
      expect(stats.completed).toBeLessThan(stats.submitted);
      // The scenario's end healed the partition.
      expect(neg.faults).toEqual([expect.objectContaining({ kind: 'partition' })]);
    }
  });

  it('leaves nothing behind', async () => {
    expect(results.teardown).toMatchObject({ kept: false, containers: 10, volumes: 0, errors: [] });
    for (const runId of results.runId.split(','))
      expect(await leftovers({ runId })).toEqual(NOTHING);
  });

  it(
    'catches seed 004 failure #1: an old package reports machine_id unknown, and a kept cache is not downloaded again',
    async () => {
      const { results: r, suite } = await runFiles({
        'stackcheck.yml': `version: 1
name: {{SUITE}}
topologies:
  t:
    publish: ephemeral
    services:
      redis:
        image: stackcheck-fixture/machine:1
        command: [redis-server, --save, '', --protected-mode, 'no']
        user: app
        healthcheck: { test: [CMD, redis-cli, ping], interval: 500ms, retries: 40 }
      releases:
        image: stackcheck-fixture/machine:1
        command: [node, /machine/releases.js]
        user: app
        environment: { RELEASE_VERSION: '1' }
      machine:
        image: stackcheck-fixture/machine:1
        user: app
        environment:
          REDIS_HOST: redis
          NUM_GPUS: '1'
          WORKER_DOWNLOAD_URL: http://releases:8000/download/1/worker.json
          CACHE_CLEANUP: 'false'
        ports: ['9090']
        depends_on: { redis: { condition: service_healthy }, releases: { condition: service_started } }
        healthcheck: { test: [CMD, wget, -qO-, http://localhost:9090/ready], interval: 500ms, retries: 40 }
checks:
  - name: no worker reports machine_id unknown
    http: { service: machine, port: 9090, path: /health }
    expect: { body: { not: unknown } }
scenarios:
  - name: restarted with its cache kept
    steps:
      - restart: { service: machine }
      - check:
          http: { service: machine, port: 9090, path: /health }
          expect: { body: { regex: '"downloads":[1-9]' } }
`,
      });
      expect(checksByName(r)['no worker reports machine_id unknown']).toMatchObject({
        status: 'failed',
        message: expect.stringContaining('contains "unknown"'),
      });
      const sc = scenariosByName(r)['restarted with its cache kept']!;
      expect(stepLines(sc)).toEqual([
        expect.stringMatching(/^restart machine: passed/),
        expect.stringMatching(/^http check: failed — .*does not match \/"downloads":\[1-9\]\//),
      ]);
      expect(await leftovers({ suite })).toEqual(NOTHING);
    },
    RUN_TIMEOUT,
  );
});
