import { createServer } from 'node:net';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadSuites } from '../../src/manifest/load.js';
import type { CheckResult, RunResults } from '../../src/model/results.js';
import { run } from '../../src/run.js';
import { cli, workdir } from '../support/cli.js';
import { engine, leftovers, NOTHING } from '../support/engine.js';
import { checksByName, runFiles } from '../support/run.js';

const APP = 'stackcheck-fixture/app:1';
const BUSYBOX = 'stackcheck-fixture/busybox:1';
const health = `healthcheck: { test: [CMD, wget, -qO-, "http://localhost:8080/health"], interval: 300ms, retries: 30 }`;
const SECRET = 'hunter2-never-in-a-report';
// A name the report-wide redaction does not know: only the security kind's own masking keeps it out.
const KEY = 's3-key-never-in-a-report';

// app logs a panic among its start lines; crashy dies after 2.5 s and its restart policy
// brings it back; worker runs ${N} replicas; rooty is root with a literal password.
const COMPOSE = `services:
  app:
    image: ${APP}
    user: app
    read_only: true
    mem_limit: 256m
    cpus: 0.5
    environment:
      LOG_LINES: "booting|panic: runtime error: index out of range|ready to serve"
      DB_PASSWORD_FILE: /run/secrets/db
    ${health}
  crashy:
    image: ${APP}
    user: app
    restart: on-failure
    environment: { EXIT_AFTER_MS: "2500", EXIT_CODE: "3" }
  worker:
    image: ${BUSYBOX}
    user: app
    init: true
    command: [sleep, "3600"]
    labels: { role: worker }
    deploy:
      replicas: \${N}
  rooty:
    image: ${BUSYBOX}
    init: true
    command: [sleep, "3600"]
    environment: { DB_PASSWORD: "${SECRET}", BUCKET_ACCESS_KEY: "${KEY}", API_TOKEN: "$\${API_TOKEN}" }
  oneshot:
    image: ${BUSYBOX}
    command: [sh, -c, "echo migrated; exit 0"]
  hog:
    image: stackcheck-fixture/node:1
    user: app
    restart: on-failure
    mem_limit: 64m
    memswap_limit: 64m
    command:
      - node
      - -e
      - >-
        const fs = require("fs");
        if (fs.existsSync("/tmp/ran-out")) setInterval(() => {}, 1e9);
        else setTimeout(() => { fs.writeFileSync("/tmp/ran-out", ""); const a = []; for (;;) a.push(Buffer.alloc(4e6, 1)); }, 2000);
`;

const CHECKS = `
  # logs
  - name: no panic in the app log
    logs: { service: app, absent: "panic|FATAL" }
  - name: no FATAL in the app log
    logs: { service: app, absent: "FATAL" }
  - name: case-insensitive absent pattern
    logs: { service: app, absent: "PANIC", ignoreCase: true }
  - name: app says it is ready within 10s of starting
    logs: { service: app, present: "ready to serve", within: 10s }
  - name: app logs each health request
    logs: { service: app, present: "GET /health 200" }
  - name: a line that never comes
    logs: { service: app, present: "warp drive engaged" }
  - name: a line that never comes, within a window long past
    logs: { service: app, present: "warp drive engaged", within: 1ms }
  - name: nothing logged in the last 0 seconds
    logs: { service: oneshot, absent: "migrated", since: 0s }
  # state
  - name: app is running and healthy
    state: { service: app, running: true, healthy: true, restarts: 0, oomKilled: false }
  - name: crashy has been restarted by its policy
    state: { service: crashy, restarts: { min: 1 } }
    retry: { timeout: 30s, interval: 500ms }
  - name: the one-shot job finished with code 0
    state: { service: oneshot, running: false, exitCode: 0 }
  - name: the one-shot job is expected to run
    state: { service: oneshot }
  - name: app is expected to be stopped
    state: { service: app, running: false, restarts: { max: 0 } }
  - name: healthy asked of a service without a healthcheck
    state: { service: rooty, healthy: true }
  - name: hog ran out of memory once and its policy restarted it
    state: { service: hog, running: true, restarts: 1, oomKills: 1 }
    retry: { timeout: 30s, interval: 500ms }
  - name: hog ran out of memory twice
    state: { service: hog, oomKills: 2 }
    retry: { timeout: 8s, interval: 500ms }
  # count
  - name: one worker per GPU
    count: { label: "role=worker", equals: "\${N}" }
  - name: workers by service
    count: { service: worker, min: 2, max: "\${N}" }
  - name: containers with any role label
    count: { label: role, equals: 3 }
  - name: four workers expected
    count: { label: "role=worker", equals: 4 }
  - name: the one-shot job does not count as running
    count: { service: oneshot, equals: 0 }
  # security, judged on the real containers
  - name: app is hardened
    security: { service: app, rules: { readOnlyRootfs: required, limits: required } }
  - name: rooty is not root
    security: { service: rooty }
  - name: rooty with nonRoot waived still has a secret in its env
    security: { service: rooty, rules: { nonRoot: waived } }
  - name: workers run as app
    security: { service: worker }
`;

async function runAll(): Promise<{ results: RunResults; suite: string }> {
  return runFiles({
    'stackcheck.yml': `version: 1
name: '{{SUITE}}'
matrix: { N: [3] }
topologies:
  main:
    compose: compose.yml
    publish: ephemeral
    wait: { timeout: 60s }
checks:${CHECKS}`,
    'compose.yml': COMPOSE,
  });
}

describe('logs, state, count and security on a real engine', () => {
  let results: RunResults;
  let byName: Record<string, CheckResult>;
  let suite: string;

  beforeAll(async () => {
    ({ results, suite } = await runAll());
    byName = checksByName(results);
  }, 180_000);

  it('ran every check and left nothing behind', async () => {
    expect(results.topologies[0]!.status, JSON.stringify(results.topologies[0]!.failure)).toBe(
      'passed',
    );
    expect(Object.keys(byName)).toHaveLength(CHECKS.match(/- name:/g)!.length);
    expect(await leftovers({ suite })).toEqual(NOTHING);
  });

  it('logs: absent fails with the matched line, its time and container', () => {
    const c = byName['no panic in the app log']!;
    expect(c.status).toBe('failed');
    expect(c.message).toMatch(
      /^1 line of sc-.*-main-app-1 match \/panic\|FATAL\/, first at \d{4}-\d\d-\d\dT[\d:.]+Z: "panic: runtime error: index out of range"$/,
    );
    expect(c.evidence).toMatchObject({
      container: expect.stringMatching(/-main-app-1$/),
      pattern: 'panic|FATAL',
      since: 'container created',
      matches: 1,
      lines: [
        {
          stream: 'stdout',
          text: 'panic: runtime error: index out of range',
          time: expect.stringMatching(/Z$/),
        },
      ],
    });
    expect(c.evidence.linesScanned).toBeGreaterThanOrEqual(4);
    expect(c.targets).toEqual(['main/app']);
    expect(byName['case-insensitive absent pattern']!.status).toBe('failed');
  });

  it('logs: absent passes when nothing matches, and `since` limits the lines read', () => {
    expect(byName['no FATAL in the app log']).toMatchObject({
      status: 'passed',
      evidence: { matches: 0 },
    });
    expect(byName['no FATAL in the app log']!.message).toMatch(
      /^no line of \d+ matches \/FATAL\/$/,
    );
    expect(byName['nothing logged in the last 0 seconds']).toMatchObject({
      status: 'passed',
      evidence: { linesScanned: 0 },
    });
  });

  it('logs: present passes with the line, and how long after the start it came', () => {
    const c = byName['app says it is ready within 10s of starting']!;
    expect(c.status).toBe('passed');
    expect(c.message).toMatch(/^matched at .*Z, [\d.]+m?s after start: "ready to serve"$/);
    expect(c.evidence).toMatchObject({ within: '10s', line: { text: 'ready to serve' } });
    expect(c.evidence.afterStartMs).toBeLessThan(10_000);
    expect(byName['app logs each health request']!.status).toBe('passed');
  });

  it('logs: present fails when the line never comes, or came after the window', () => {
    expect(byName['a line that never comes']).toMatchObject({
      status: 'failed',
      message: expect.stringMatching(/^no line of \d+ matches \/warp drive engaged\/$/),
      evidence: { matches: 0 },
    });
    expect(byName['a line that never comes, within a window long past']!.message).toMatch(
      /^no line of \d+ matches \/warp drive engaged\/ within 1ms of the container's start$/,
    );
  });

  it('state: passes on the inspected fields, and a restart policy shows in the restart count', () => {
    expect(byName['app is running and healthy']).toMatchObject({
      status: 'passed',
      message: 'running, healthy, 0 restarts',
      evidence: {
        status: 'running',
        running: true,
        health: 'healthy',
        restartCount: 0,
        oomKilled: false,
      },
    });
    const crashy = byName['crashy has been restarted by its policy']!;
    expect(crashy.status).toBe('passed');
    expect(crashy.evidence.restartCount as number).toBeGreaterThanOrEqual(1);
    expect(crashy.evidence.expected).toEqual({ restarts: { min: 1 } });
    expect(byName['the one-shot job finished with code 0']).toMatchObject({
      status: 'passed',
      message: 'exited, 0 restarts, exit code 0',
      evidence: { status: 'exited', exitCode: 0 },
    });
  });

  it('state: counts out-of-memory kills from the engine events, after the restart that hides them', async () => {
    // An engine whose events report no OOM kill (Podman) cannot count them: skipped, never passed.
    if ((await engine.info()).oomEvents === false) {
      for (const name of [
        'hog ran out of memory once and its policy restarted it',
        'hog ran out of memory twice',
      ])
        expect(byName[name]).toMatchObject({
          status: 'skipped',
          message: expect.stringContaining('out-of-memory kills cannot be counted'),
        });
      return;
    }
    // The first run of hog fills its 64m limit; the kernel kills it and on-failure restarts it.
    expect(byName['hog ran out of memory once and its policy restarted it']).toMatchObject({
      status: 'passed',
      // Whether the engine keeps its OOMKilled flag across the restart differs by version.
      message: expect.stringMatching(/^running, 1 restart, (OOM-killed, )?1 out-of-memory kill/),
      evidence: { oomKills: 1, restartCount: 1 },
    });
    expect(byName['hog ran out of memory twice']).toMatchObject({
      status: 'failed',
      message: expect.stringMatching(
        /-main-hog-1: 1 out-of-memory kill, expected 2 \(after \d+ attempts\)$/,
      ),
    });
  });

  it('state: fails with every mismatch named, and calls an impossible question an error', () => {
    expect(byName['the one-shot job is expected to run']).toMatchObject({
      status: 'failed',
      message: expect.stringMatching(/-main-oneshot-1: not running \(exited, exit code 0\)$/),
      evidence: { expected: { running: true } },
    });
    expect(byName['app is expected to be stopped']!.message).toMatch(/-main-app-1: still running$/);
    expect(byName['healthy asked of a service without a healthcheck']).toMatchObject({
      status: 'error',
      message: expect.stringContaining('has no healthcheck'),
    });
  });

  it('count: counts this run\'s running containers by label or service; "${N}" is a number', () => {
    const gpu = byName['one worker per GPU']!;
    expect(gpu).toMatchObject({
      status: 'passed',
      message: '3 running containers labelled role=worker',
      evidence: { label: 'role=worker', running: 3, expected: { equals: 3 } },
    });
    expect(gpu.evidence.containers).toEqual(
      [1, 2, 3].map((i) => expect.stringMatching(new RegExp(`-main-worker-${i}$`))),
    );
    expect(byName['workers by service']).toMatchObject({
      status: 'passed',
      evidence: { expected: { min: 2, max: 3 } },
    });
    expect(byName['containers with any role label']!.status).toBe('passed');
    expect(byName['four workers expected']).toMatchObject({
      status: 'failed',
      message: '3 running containers labelled role=worker, expected 4',
    });
    expect(byName['the one-shot job does not count as running']).toMatchObject({
      status: 'passed',
      evidence: { running: 0, notRunning: [{ status: 'exited' }] },
    });
  });

  it('security: judges the real containers: user, read-only root, limits', () => {
    const app = byName['app is hardened']!;
    expect(app.status, app.message).toBe('passed');
    expect(app.evidence).toMatchObject({
      judged: 'running containers',
      services: [
        {
          service: 'main/app',
          container: expect.stringMatching(/-main-app-1$/),
          judged: 'container',
          findings: {
            nonRoot: { verdict: 'ok', facts: { user: 'app' } },
            readOnlyRootfs: { requirement: 'required', verdict: 'ok' },
            limits: {
              requirement: 'required',
              verdict: 'ok',
              facts: { memoryBytes: 256 * 2 ** 20, cpus: 0.5 },
            },
            noSecretsInEnv: { verdict: 'ok' },
          },
        },
      ],
    });
    expect(byName['workers run as app']!.status).toBe('passed');
  });

  it("security: fails a root container (the image's default user) and a literal secret, never showing it", () => {
    const rooty = byName['rooty is not root']!;
    expect(rooty.status).toBe('failed');
    expect(rooty.message).toBe(
      '2 violations of required rules: main/rooty nonRoot: runs as root (user ""); main/rooty noSecretsInEnv: BUCKET_ACCESS_KEY, DB_PASSWORD hold a literal secret (value masked); pass it as a file (compose `secrets:`, *_FILE) instead',
    );
    const waived = byName['rooty with nonRoot waived still has a secret in its env']!;
    expect(waived.status).toBe('failed');
    expect(waived.message).toMatch(
      /^1 violation of required rules: main\/rooty noSecretsInEnv: BUCKET_ACCESS_KEY, DB_PASSWORD/,
    );
    expect(waived.evidence.waived).toEqual(
      expect.arrayContaining([expect.objectContaining({ rule: 'nonRoot' })]),
    );
    expect(JSON.stringify(results)).not.toContain(SECRET);
    expect(JSON.stringify(results)).not.toContain(KEY);
    expect(JSON.stringify(results)).not.toContain('s3-key');
    expect(JSON.stringify(results)).not.toContain('hunter2');
  });
});

describe('ports on a real engine', () => {
  it('fails declared collisions across two topologies and two compose files, naming both positions', async () => {
    const { results, suite } = await runFiles({
      'stackcheck.yml': `version: 1
name: '{{SUITE}}'
topologies:
  main:
    compose: main/compose.yml
    publish: ephemeral
  pc2:
    compose: [pc2/compose.yml, pc2/compose.override.yml]
    publish: ephemeral
checks:
  - name: PC2 groups must not collide with the Main PC's
    ports: { scope: node, declared: true, range: "50000-50999" }
  - name: ephemeral publishing never collides
    ports: {}
`,
      'main/compose.yml': `services:
  api:
    image: ${APP}
    ports: ["50100:8080"]
`,
      'pc2/compose.yml': `services:
  pipeline:
    image: ${APP}
`,
      'pc2/compose.override.yml': `services:
  pipeline:
    ports:
      - "8080:8080"
      - target: 8080
        published: "50100"
`,
    });
    const c = checksByName(results);
    const collide = c["PC2 groups must not collide with the Main PC's"]!;
    expect(collide.status).toBe('failed');
    expect(collide.message).toMatch(
      /^1 collision, 1 port outside 50000-50999: host port 50100\/tcp on node local: main\/api "50100:8080\/tcp" \(.*main\/compose\.yml:4:13\) collides with pc2\/pipeline "50100:8080\/tcp" \(.*pc2\/compose\.override\.yml:5:9\); pc2\/pipeline "8080:8080\/tcp" \(.*pc2\/compose\.override\.yml:4:9\) publishes host port 8080, outside 50000-50999$/,
    );
    expect(collide.evidence.collisions).toEqual([
      expect.objectContaining({
        hostPorts: '50100',
        a: expect.objectContaining({
          service: 'main/api',
          at: expect.stringMatching(/main\/compose\.yml:4:13$/),
        }),
        b: expect.objectContaining({
          service: 'pc2/pipeline',
          at: expect.stringMatching(/pc2\/compose\.override\.yml:5:9$/),
        }),
      }),
    ]);
    expect(c['ephemeral publishing never collides']).toMatchObject({ status: 'skipped' });
    expect(await leftovers({ suite })).toEqual(NOTHING);
  });

  it("does not count the run's own published ports as taken on the runner", async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const { results, suite } = await runFiles({
      'stackcheck.yml': `version: 1
name: '{{SUITE}}'
topologies:
  main:
    compose: compose.yml
checks:
  - name: published ports are free on the runner, or ours
    ports: { runner: true }
`,
      'compose.yml': `services:
  api:
    image: ${APP}
    ports: ["127.0.0.1:${port}:8080"]
`,
    });
    const c = checksByName(results)['published ports are free on the runner, or ours']!;
    expect(c.status, c.message).toBe('passed');
    expect(c.evidence.runner).toMatchObject({
      checked: 0,
      busy: [],
      ownedByRun: [
        {
          service: 'main/api',
          hostPort: String(port),
          container: expect.stringMatching(/-main-api-1$/),
        },
      ],
    });
    expect(await leftovers({ suite })).toEqual(NOTHING);
  });

  it('`stackcheck validate` reports a collision with both positions, without an engine', async () => {
    const dir = workdir({
      'stackcheck.yml': `version: 1
name: validate-ports
topologies:
  main: { compose: main.yml }
  pc2: { compose: pc2.yml }
checks:
  - name: no collisions
    ports: {}
  - name: nothing runs as root
    security: { rules: { nonRoot: required } }
`,
      'main.yml': `services:\n  api:\n    image: ${APP}\n    ports: ["8080:8080"]\n`,
      'pc2.yml': `services:\n  web:\n    image: ${APP}\n    user: app\n    ports:\n      - "127.0.0.1:8080:80"\n`,
    });
    const r = await cli(['validate', 'stackcheck.yml'], {
      cwd: dir,
      env: { DOCKER_HOST: 'tcp://127.0.0.1:9' },
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /stackcheck\.yml:\d+:\d+: failed: no collisions: 1 collision: host port 8080\/tcp on node local: main\/api "8080:8080\/tcp" \(main\.yml:4:13\) collides with pc2\/web "127\.0\.0\.1:8080:80\/tcp" \(pc2\.yml:6:9\)/,
    );
    expect(r.stderr).toMatch(
      /skipped: nothing runs as root: cannot be judged without running: main\/api nonRoot/,
    );
    expect(r.stdout).toContain('invalid');
  });
});

describe('the service-checks example', () => {
  it('passes, and leaves nothing behind', async () => {
    const [s] = loadSuites(join('examples', 'service-checks', 'stackcheck.yml'), {
      env: { ...process.env },
    });
    const results = await run(s!);
    const failed = results.checks
      .filter((c) => c.status !== 'passed')
      .map((c) => `${c.name}: ${c.status}: ${c.message}`);
    expect(failed).toEqual([]);
    expect(results.status).toBe('passed');
    expect(new Set(results.checks.map((c) => c.kind))).toEqual(
      new Set(['logs', 'state', 'count', 'ports', 'security']),
    );
    expect(await leftovers({ runId: results.runId })).toEqual(NOTHING);
  }, 120_000);
});
