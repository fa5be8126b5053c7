/**
 * Sync checks across two real engines: the runner's own and the test bed's second dockerd
 * (scripts/second-engine.sh), reached over tcp. A diff of the two nodes' snapshots, before and
 * after a step leaves them different, and a write on one node seen on the other.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DockerEngine } from '../../src/engine/docker.js';
import { leftovers, NOTHING } from '../support/engine.js';
import { checksByName, runFiles } from '../support/run.js';
import { secondEngine } from '../support/second-engine.js';

const bed = secondEngine();
const BUSYBOX = 'stackcheck-fixture/busybox:1';
const NODE = 'stackcheck-fixture/node:1';
const HUB_PORT = 50790;

const store = `{ image: ${BUSYBOX}, init: true, command: [sh, -c, "mkdir -p /data/sub && echo same > /data/same.txt && echo v1 > /data/sub/other.txt && touch /tmp/ready && exec sleep 3600"], healthcheck: { test: [CMD, test, -f, /tmp/ready], interval: 200ms, retries: 50 } }`;

/** Keeps posted items (GET lists them); with `forward`, posts each on to that URL 300 ms later. */
const server = (forward?: string) => `
        image: ${NODE}
        init: true
        command:
          - node
          - -e
          - >-
            const items = [];
            require("http").createServer((q, s) => { let b = ""; q.on("data", (d) => (b += d)); q.on("end", () => {
            if (q.method !== "POST") return s.end(JSON.stringify(items));
            items.push(b); s.end("ok");
            ${forward ? `setTimeout(() => fetch("${forward}", { method: "POST", body: b }).catch(() => {}), 300);` : ''}
            }); }).listen(8080);
        healthcheck: { test: [CMD, wget, -qO-, "http://127.0.0.1:8080/"], interval: 200ms, retries: 50 }`;

describe.skipIf(!bed.ok)('snapshots and propagation across two engines', () => {
  const pc2 = new DockerEngine({ node: 'pc2', url: bed.ok ? bed.tcp : undefined });
  afterAll(() => pc2.close());

  it('compares the two nodes, catches a step that leaves them different, and times a cross-node write', async () => {
    if (!bed.ok) return;
    const { results, dir } = await runFiles({
      'stackcheck.yml': `version: 1
name: {{SUITE}}
nodes:
  main: { address: ${bed.peer} }
  pc2: { docker: "${bed.tcp}", address: ${bed.address} }
images: { carry: true }
topologies:
  a:
    node: main
    publish: ephemeral
    services:
      store: ${store}
      api:${server(`http://${bed.address}:${HUB_PORT}/items`)}
        ports: ["8080"]
  b:
    node: pc2
    services:
      store: ${store}
      hub:${server()}
        ports: ["${HUB_PORT}:8080"]
snapshots:
  data:
    files: [{ path: /data, service: store }]
    config: []
checks:
  - name: PC2's store holds the Main PC's files
    diff: { snapshot: data, left: main, right: pc2 }
  - name: an item posted on the Main PC reaches PC2's hub
    propagation:
      write: { service: a/api, http: { port: 8080, path: /items } }
      see: { service: b/hub, http: { port: 8080 } }
      within: 5s
scenarios:
  - name: a sync that leaves the machines different is caught
    steps:
      - check: { exec: { service: b/store, command: "echo v2 > /data/sub/other.txt" } }
      - check: { diff: { snapshot: data, left: main, right: pc2 } }
`,
    });
    const checks = checksByName(results);
    const same = checks["PC2's store holds the Main PC's files"]!;
    expect([same.status, same.message]).toEqual([
      'passed',
      'node main and node pc2 agree on 4 keys',
    ]);
    const prop = checks["an item posted on the Main PC reaches PC2's hub"]!;
    expect(prop.status, prop.message).toBe('passed');
    expect(prop.evidence.delayMs).toBeGreaterThanOrEqual(250);
    expect(prop.evidence.seenOn).toEqual([expect.stringMatching(/-b-hub-1 \(node pc2\)$/)]);

    const step = results.scenarios[0]!.steps[1]!;
    expect(step.status).toBe('failed');
    expect(step.evidence.differences).toEqual([
      expect.stringMatching(
        /^store\/files\/data\/sub\/other\.txt#sha256: node main [0-9a-f]{64} ≠ node pc2 [0-9a-f]{64}$/,
      ),
    ]);
    // The failing step points at its own line of the manifest.
    const lines = readFileSync(join(dir, 'stackcheck.yml'), 'utf8').split('\n');
    expect(step.source.line).toBe(lines.findIndex((l) => l.includes('- check: { diff:')) + 1);
    expect(await leftovers({ runId: results.runId })).toEqual(NOTHING);
    expect(await leftovers({ runId: results.runId }, pc2)).toEqual(NOTHING);
  });
});
