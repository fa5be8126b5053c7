import { describe, expect, it } from 'vitest';
import type { CheckResult, ScenarioResult } from '../../src/model/results.js';
import { leftovers, NOTHING } from '../support/engine.js';
import { checksByName, runFiles } from '../support/run.js';

/*
 * What must NOT hold, on the real engine: two stores that must differ, an item that must not
 * reach the hub while a partition holds (and does once it heals), a host port outside its
 * node's `portRange` — in one run narrowed by `--checks`, which picks scenarios by name too.
 */

const BUSYBOX = 'stackcheck-fixture/busybox:1';
const NODE = 'stackcheck-fixture/node:1';

/** A busybox service that writes its files, then reports healthy. */
const store = (content: string) =>
  `{ image: ${BUSYBOX}, init: true, command: [sh, -c, "mkdir -p /data && echo ${content} > /data/content.txt && touch /tmp/ready && exec sleep 3600"], healthcheck: { test: [CMD, test, -f, /tmp/ready], interval: 200ms, retries: 50 } }`;

/** Keeps posted items, logs each; the api forwards each to the hub 300 ms later. */
const server = (forward: boolean) => `
    image: ${NODE}
    init: true
    command:
      - node
      - -e
      - >-
        require("http").createServer((q, s) => { let b = ""; q.on("data", (d) => (b += d)); q.on("end", () => {
        if (q.method === "POST") console.log("got " + b); s.end("ok");
        ${forward ? 'setTimeout(() => fetch("http://hub:8080/items", { method: "POST", body: b, signal: AbortSignal.timeout(1000) }).catch(() => {}), 300);' : ''}
        }); }).listen(8080);
    healthcheck: { test: [CMD, wget, -qO-, "http://127.0.0.1:8080/"], interval: 200ms, retries: 50 }`;

const SYNC_YML = `services:
  api:${server(true)}
    ports: ["50100:8080"]
  hub:${server(false)}
    ports: ["50800:8080"]
`;

const itemToHub = `
      write: { service: api, http: { port: 8080, path: /items } }
      see: { service: hub, logs: true }`;

describe('checks that expect something not to hold, on a real engine', () => {
  it('differ, must not arrive, stay in the node port range; --checks picks checks and scenarios', async () => {
    const { results, suite } = await runFiles(
      {
        'sync.yml': SYNC_YML,
        'stackcheck.yml': `version: 1
name: {{SUITE}}
nodes:
  pc2: { portRange: "50100-50799" }
topologies:
  sync:
    compose: sync.yml
    publish: ephemeral
  stores:
    services:
      left: ${store('v1')}
      right: ${store('v2')}
      twin: ${store('v1')}
snapshots:
  data: { files: [/data], config: [] }
checks:
  - name: pc2's host ports stay in its range
    ports: { declared: true }
  - name: left and right hold different data
    diff: { snapshot: data, left: stores/left, right: stores/right }
    expect: { equal: false }
  - name: left and its twin differ
    diff: { snapshot: data, left: stores/left, right: stores/twin }
    expect: { equal: false }
  - name: an item posted to the api never reaches the hub
    propagation:${itemToHub}
      within: 4s
    expect: { arrives: false }
  - name: not picked by the filter
    exec: { service: left, command: "exit 1" }
scenarios:
  - name: a partition keeps items from the hub until it heals
    steps:
      - partition: { between: [api, hub] }
      - name: the item does not reach the hub
        check:
          propagation:${itemToHub.replaceAll('\n', '\n      ')}
            within: 2s
          expect: { arrives: false }
      - heal: partition
      - name: the next item does
        check:
          propagation:${itemToHub.replaceAll('\n', '\n      ')}
            within: 5s
  - name: a scenario not picked by the filter
    steps:
      - check: { exec: { service: left, command: "exit 1" } }
`,
      },
      { filter: { checks: 'range|differ|hub' } },
    );

    const checks = checksByName(results) as Record<string, CheckResult>;
    expect(Object.keys(checks)).not.toContain('not picked by the filter');
    expect(results.scenarios.map((s) => s.name)).toEqual([
      'a partition keeps items from the hub until it heals',
    ]);

    const ports = checks["pc2's host ports stay in its range"]!;
    expect(ports.status).toBe('failed');
    expect(ports.message).toMatch(
      /^1 port outside its node's portRange: sync\/hub "50800:8080\/tcp" \(.*sync\.yml:\d+:\d+\) publishes host port 50800, outside node pc2's portRange 50100-50799$/,
    );
    const hubLine = SYNC_YML.split('\n').findIndex((l) => l.includes('50800')) + 1;
    expect(ports.evidence.outOfRange).toEqual([
      expect.objectContaining({
        service: 'sync/hub',
        at: expect.stringMatching(`sync\\.yml:${hubLine}:`),
      }),
    ]);

    const differ = checks['left and right hold different data']!;
    expect(differ.status, differ.message).toBe('passed');
    expect(differ.evidence.differences).toEqual([
      expect.stringMatching(
        /^files\/data\/content\.txt#sha256: stores\/left [0-9a-f]{64} ≠ stores\/right [0-9a-f]{64}$/,
      ),
    ]);
    const twin = checks['left and its twin differ']!;
    expect(twin.status).toBe('failed');
    expect(twin.message).toMatch(
      /^stores\/left and stores\/twin agree on \d+ keys; expected them to differ \(expect: \{ equal: false \}\)$/,
    );

    // Nothing stops the item: it is seen ~300 ms after the write, and the check fails then.
    const leak = checks['an item posted to the api never reaches the hub']!;
    expect(leak.status).toBe('failed');
    expect(leak.message).toMatch(
      /^the token arrived, and must not \(expect: \{ arrives: false \}\): seen on \S+-hub-1 \(node pc2\) in its log \d+ms after the write$/,
    );
    expect(leak.durationMs).toBeLessThan(3000);
    expect(Object.values(leak.evidence.seenIn as object)).toEqual([
      expect.stringMatching(/got stackcheck-[0-9a-f]{12}/),
    ]);

    const sc = results.scenarios[0] as ScenarioResult;
    expect(sc.steps.map((s) => [s.name, s.status, s.message])).toEqual([
      ['partition api ↔ hub', 'passed', expect.any(String)],
      [
        'the item does not reach the hub',
        'passed',
        expect.stringMatching(/^not seen on \S+-hub-1 in its log within 2s \(\d+ looks\)$/),
      ],
      ['heal partition', 'passed', expect.any(String)],
      ['the next item does', 'passed', expect.stringMatching(/^visible on \S+-hub-1 after /)],
    ]);
    expect(await leftovers({ suite })).toEqual(NOTHING);
  });
});
