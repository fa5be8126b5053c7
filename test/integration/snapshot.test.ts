import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import type { CheckResult, ScenarioResult } from '../../src/model/results.js';
import { workdir } from '../support/cli.js';
import { leftovers, NOTHING, uniqueSuite } from '../support/engine.js';
import { checksByName, runFiles } from '../support/run.js';

const BUSYBOX = 'stackcheck-fixture/busybox:1';
const NODE = 'stackcheck-fixture/node:1';
const LEFT_TOKEN = 'token-left-aaaa-1111';
const RIGHT_TOKEN = 'token-right-bbbb-2222';

/** A busybox service that writes its files, then reports healthy: checks see them all. */
const store = (other: string, token: string) =>
  `{ image: ${BUSYBOX}, init: true, command: [sh, -c, "mkdir -p /data/sub && echo same > /data/same.txt && echo ${other} > /data/sub/other.txt && touch /tmp/ready && exec sleep 3600"], environment: { MODE: prod, API_TOKEN: "${token}" }, healthcheck: { test: [CMD, test, -f, /tmp/ready], interval: 200ms, retries: 50 } }`;

const differences = (c: { evidence: Record<string, unknown> }) =>
  c.evidence.differences as string[];

describe('snapshots and diffs on a real engine', () => {
  it('compares two services now, and one service before and after a step', async () => {
    const { results, suite } = await runFiles({
      'stackcheck.yml': `version: 1
name: {{SUITE}}
topologies:
  left:
    services:
      store: ${store('v1', LEFT_TOKEN)}
  right:
    services:
      store: ${store('v1', RIGHT_TOKEN)}
snapshots:
  data:
    files: [/data]
    config: [image, env]
  tiny:
    files: [/data]
    config: []
    limits: { files: 1 }
checks:
  - name: the stores hold the same files
    diff: { snapshot: data, left: left/store, right: right/store, ignore: ["env/**"] }
  - name: the stores differ in their secret token only
    diff: { snapshot: data, left: left/store, right: right/store }
  - name: a snapshot past its file limit cannot be judged
    diff: { snapshot: tiny, left: left/store, right: right/store }
scenarios:
  - name: a step that changes one file is caught
    steps:
      - snapshot: { take: data, of: right/store, as: before }
      - check: { exec: { service: right/store, command: "echo v2 > /data/sub/other.txt" } }
      - check: { diff: { snapshot: data, left: { taken: before }, right: right/store } }
  - name: after the step the two stores differ in that file
    steps:
      - check: { diff: { snapshot: data, left: left/store, right: right/store, ignore: ["env/API_TOKEN"] } }
`,
    });
    const checks = checksByName(results);
    const same = checks['the stores hold the same files']!;
    expect([same.status, same.message]).toEqual([
      'passed',
      expect.stringMatching(/agree on \d+ keys/),
    ]);
    // Files and directories both sides have: /data, /data/same.txt, /data/sub, /data/sub/other.txt.
    expect(same.evidence.left).toMatchObject({ subject: 'left/store' });

    const secret = checks['the stores differ in their secret token only']!;
    expect(secret.status).toBe('failed');
    expect(differences(secret)).toEqual(['env/API_TOKEN: secret values differ']);

    const tiny = checks['a snapshot past its file limit cannot be judged']!;
    expect(tiny.status).toBe('error');
    expect(tiny.message).toMatch(/incomplete: .*\/data: more than 1 files \(limits\.files\)/);

    const sc = Object.fromEntries(results.scenarios.map((s) => [s.name, s])) as Record<
      string,
      ScenarioResult
    >;
    const step = sc['a step that changes one file is caught']!;
    expect(step.steps.map((s) => [s.name, s.status])).toEqual([
      ['snapshot', 'passed'],
      ['exec check', 'passed'],
      ['diff check', 'failed'],
    ]);
    const changed = step.steps[2]!;
    expect(differences(changed)).toEqual([
      expect.stringMatching(
        /^files\/data\/sub\/other\.txt#sha256: right\/store \(taken as before\) [0-9a-f]{64} ≠ right\/store [0-9a-f]{64}$/,
      ),
    ]);
    expect(changed.message).toMatch(/^1 difference: files\/data\/sub\/other\.txt#sha256/);
    // The failing step points at its manifest line.
    expect(changed.source).toMatchObject({
      file: expect.stringMatching(/stackcheck\.yml$/),
      line: 30,
    });

    const after = sc['after the step the two stores differ in that file']!.steps[0]!;
    expect(after.status).toBe('failed');
    expect(differences(after)).toEqual([
      expect.stringMatching(/^files\/data\/sub\/other\.txt#sha256: /),
    ]);

    const report = JSON.stringify(results);
    expect(report).not.toContain(LEFT_TOKEN);
    expect(report).not.toContain(RIGHT_TOKEN);
    expect(await leftovers({ suite })).toEqual(NOTHING);
  });

  it('measures how long a write on one service takes to show on another', async () => {
    // api keeps posted items and forwards each to the hub 300 ms later; the hub logs it.
    const server = (forward: boolean) => `
        image: ${NODE}
        init: true
        ports: ["8080"]
        command:
          - node
          - -e
          - >-
            const items = [];
            require("http").createServer((q, s) => { let b = ""; q.on("data", (d) => (b += d)); q.on("end", () => {
            if (q.method !== "POST") return s.end(JSON.stringify(items));
            items.push(b); console.log("got " + b); s.end("ok");
            ${forward ? 'setTimeout(() => fetch("http://hub:8080/items", { method: "POST", body: b }).catch(() => {}), 300);' : ''}
            }); }).listen(8080);
        healthcheck: { test: [CMD, wget, -qO-, "http://127.0.0.1:8080/"], interval: 200ms, retries: 50 }`;
    const sleeper = `{ image: ${BUSYBOX}, init: true, command: [sleep, "3600"], volumes: ["shared:/shared"] }`;
    const { results, suite } = await runFiles({
      'stackcheck.yml': `version: 1
name: {{SUITE}}
topologies:
  sync:
    publish: ephemeral
    services:
      api:${server(true)}
      hub:${server(false)}
      island:${server(false)}
      writer: ${sleeper}
      reader: ${sleeper}
    volumes: { shared: {} }
snapshots:
  answers: { http: [{ name: items, port: 8080 }], config: [] }
checks:
  - name: a line logged by the container's main process shows in its log
    propagation:
      write: { service: writer, exec: [sh, -c, "echo {{token}} > /proc/1/fd/1"] }
      see: { service: writer, logs: true }
  - name: after the writes, the hub and the island answer differently
    serial: true
    diff: { snapshot: answers, left: sync/hub, right: sync/island }
  - name: an item posted to the api reaches the hub
    propagation:
      write: { service: api, http: { port: 8080, path: /items, body: '{"id":"{{token}}"}' } }
      see: { service: hub, http: { port: 8080 } }
      within: 5s
  - name: the hub logs the item
    propagation:
      write: { service: api, http: { port: 8080, path: /items } }
      see: { service: hub, logs: true }
      within: 5s
  - name: a file written on one service is read on another
    propagation:
      write: { service: writer, file: /shared/events.log }
      see: { service: reader, file: /shared/events.log }
  - name: nothing reaches a service that is not synced
    propagation:
      write: { service: api, http: { port: 8080, path: /items } }
      see: { service: island, http: { port: 8080 } }
      within: 1s
`,
    });
    const checks = checksByName(results) as Record<string, CheckResult>;
    const http = checks['an item posted to the api reaches the hub']!;
    expect(http.status).toBe('passed');
    expect(http.evidence.delayMs).toBeGreaterThanOrEqual(250);
    expect(http.evidence.delayMs).toBeLessThan(5000);
    expect(http.message).toMatch(/^visible on .*hub.* after \d/);

    const logs = checks['the hub logs the item']!;
    expect(logs.status).toBe('passed');
    expect(logs.evidence.delayMs).toBeGreaterThanOrEqual(250);

    const file = checks['a file written on one service is read on another']!;
    expect(file.status).toBe('passed');
    expect(file.evidence.delayMs).toBeLessThan(1000);

    const logged = checks["a line logged by the container's main process shows in its log"]!;
    expect(logged.status, logged.message).toBe('passed');

    // Serial checks run after the others: the hub has every item posted, the island none.
    const answers = checks['after the writes, the hub and the island answer differently']!;
    expect(answers.status).toBe('failed');
    expect(answers.evidence.differences).toEqual([
      expect.stringMatching(
        /^http\/items#body: sync\/hub \[.*stackcheck-[0-9a-f]{12}.*\] ≠ sync\/island \[\]$/,
      ),
    ]);

    const island = checks['nothing reaches a service that is not synced']!;
    expect(island.status).toBe('failed');
    expect(island.message).toMatch(/^not visible on .*island.* within 1s \(\d+ looks\)$/);
    expect(island.evidence.delayMs).toBeUndefined();
    expect(await leftovers({ suite })).toEqual(NOTHING);
  });
});

describe('stackcheck snapshot and diff', () => {
  const printed: string[] = [];
  afterEach(() => {
    vi.restoreAllMocks();
    printed.length = 0;
  });
  const cli = async (...argv: string[]) => {
    printed.length = 0;
    const capture = (chunk: string | Uint8Array) => {
      printed.push(String(chunk));
      return true;
    };
    vi.spyOn(process.stdout, 'write').mockImplementation(capture);
    vi.spyOn(process.stderr, 'write').mockImplementation(capture);
    try {
      return await main(argv);
    } finally {
      vi.restoreAllMocks();
    }
  };

  it('writes snapshot files that diff compares, and that a diff check reads from an earlier job', async () => {
    const suite = uniqueSuite('it-snap');
    const dir = workdir({
      'stackcheck.yml': `version: 1
name: ${suite}
topologies:
  app:
    services:
      store: ${store('${CONTENT:-v1}', LEFT_TOKEN)}
snapshots:
  data:
    of: app/store
    files: [/data]
checks:
  - name: the store still holds what the earlier job saw
    diff: { snapshot: data, left: { file: pre.json }, right: app/store }
`,
    });
    const manifest = join(dir, 'stackcheck.yml');
    const pre = join(dir, 'pre.json');
    const post = join(dir, 'post.json');
    const cwd = process.cwd();

    expect(await cli('snapshot', manifest, '--out', pre)).toBe(0);
    expect(printed.join('')).toMatch(/snapshot data of app\/store: \d+ keys/);
    const file = readFileSync(pre, 'utf8');
    expect(JSON.parse(file)).toMatchObject({ stackcheck: 'snapshots', version: 1, suite });
    expect(file).not.toContain(LEFT_TOKEN);
    expect(JSON.parse(file).snapshots[0].entries['env/API_TOKEN']).toEqual({
      secret: true,
      digest: expect.stringMatching(/^[0-9a-f]{16}$/),
    });

    process.env.CONTENT = 'v2';
    try {
      expect(await cli('snapshot', manifest, '--out', post)).toBe(0);
    } finally {
      delete process.env.CONTENT;
    }
    expect(await cli('diff', pre, post)).toBe(1);
    expect(printed.join('')).toMatch(
      /^files\/data\/sub\/other\.txt#sha256: .*pre\.json [0-9a-f]{64} ≠ .*post\.json [0-9a-f]{64}$/m,
    );
    expect(printed.join('')).toMatch(
      /1 difference between data of app\/store and data of app\/store/,
    );
    expect(await cli('diff', pre, post, '--ignore', 'files/**/other.txt')).toBe(0);
    expect(await cli('diff', pre, join(dir, 'nope.json'))).toBe(2);
    expect(printed.join('')).toMatch(/snapshot file .*nope\.json does not exist/);

    // A later job: the diff check reads the earlier job's file (relative to the working directory).
    process.chdir(dir);
    try {
      expect(await cli('run', manifest, '--json', 'results.json')).toBe(0);
    } finally {
      process.chdir(cwd);
    }
    const results = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8'));
    expect(results.checks[0]).toMatchObject({ status: 'passed' });
    expect(existsSync(post)).toBe(true);
    expect(await leftovers({ suite })).toEqual(NOTHING);
  });
});
