import { beforeAll, describe, expect, it } from 'vitest';
import { loadSuites } from '../../src/manifest/load.js';
import type { CheckResult, RunResults } from '../../src/model/results.js';
import { run } from '../../src/run.js';
import { leftovers, NOTHING } from '../support/engine.js';
import { checksByName, runFiles } from '../support/run.js';

const APP = 'stackcheck-fixture/app:1';
const health = `healthcheck: { test: [CMD, wget, -qO-, "http://localhost:8080/health"], interval: 300ms, retries: 30 }`;

// An event stream that sends two events, then ends the response: the "disconnects" of seed 004.
const CLOSER = `require('http').createServer((q, s) => { s.writeHead(200, { 'content-type': 'text/event-stream' }); s.write('id: 1\\ndata: one\\n\\nid: 2\\ndata: two\\n\\n'); setTimeout(() => s.end(), 300); }).listen(8080)`;

// queen and hive share "control"; queen and monitor share "ui"; hive cannot see monitor.
const COMPOSE = `services:
  queen:
    image: ${APP}
    networks: [control, ui]
    ports: ["8080"]
    ${health}
  hive:
    image: ${APP}
    networks: [control]
    deploy: { replicas: 2 }
    ${health}
  monitor:
    image: ${APP}
    networks: [ui]
    ports: ["8080", "9999"]
    ${health}
  closer:
    image: ${APP}
    command:
      - node
      - -e
      - |
        ${CLOSER}
    ports: ["8080"]
networks:
  control: {}
  ui: {}
`;

const CHECKS = `
  # Checks from inside a service start a probe sidecar first: generous limits for a busy engine.
  # tcp
  - name: queen's published port is open from the runner
    tcp: { service: queen, port: 8080 }
  - name: an unpublished port is closed to the runner
    tcp: { service: queen, port: 9999 }
    expect: { open: false }
  - name: hive connects to queen inside the network
    tcp: { service: queen, port: 8080, from: hive }
    timeout: 30s
  - name: nothing listens on queen 9999, seen from hive
    tcp: { service: queen, port: 9999, from: hive }
    timeout: 30s
    expect: { open: false }
  - name: FAIL tcp hive to monitor, on another network
    tcp: { service: monitor, port: 8080, from: hive }
    timeout: 30s
  - name: FAIL tcp queen's open port expected closed
    tcp: { service: queen, port: 8080 }
    expect: { open: false }
  - name: FAIL tcp published port with nothing behind it
    tcp: { service: monitor, port: 9999 }
  # reach
  - name: every hive reaches queen
    reach: { from: hive, to: ["queen:8080", "main/queen:8080"] }
    timeout: 30s
  - name: hives are isolated from the monitor
    reach: { from: [hive], to: ["monitor:8080"] }
    timeout: 30s
    expect: { reachable: false }
  - name: FAIL reach matrix with one unreachable column
    reach: { from: [queen, hive], to: ["queen:8080", "monitor:8080"] }
    timeout: 30s
  - name: FAIL reach isolation that does not hold
    reach: { from: queen, to: ["monitor:8080"] }
    timeout: 30s
    expect: { reachable: false }
  # sse
  - name: the monitor streams three events
    sse: { service: monitor, port: 8080, path: "/sse?count=3&interval=50" }
    expect: { events: 3, within: 5s }
  - name: only matching events of the named type count
    sse: { service: monitor, port: 8080, path: "/sse?count=5&interval=20" }
    expect: { events: 2, event: tick, match: { regex: '"n":[45]' }, within: 5s }
  - name: five clients held for 2s with no drop
    sse: { service: monitor, port: 8080, path: "/sse?interval=200" }
    expect: { events: 1, hold: 2s, clients: 5 }
  - name: FAIL sse fewer events than required
    sse: { service: monitor, port: 8080, path: "/sse?count=2&interval=50" }
    expect: { events: 5, within: 1500ms }
  - name: FAIL sse no event of that type
    sse: { service: monitor, port: 8080, path: "/sse?count=3&interval=20" }
    expect: { event: job, within: 1s }
  - name: FAIL sse server closes early under a hold
    sse: { service: closer, port: 8080, path: /events }
    expect: { events: 2, hold: 3s, clients: 3 }
  - name: FAIL sse not an event stream
    sse: { service: monitor, port: 8080, path: /health }
  # dns
  - name: every hive finds the queen by name
    dns: { from: hive, name: queen }
    timeout: 30s
  - name: hive cannot resolve the monitor, on another network
    dns: { from: hive, name: monitor }
    timeout: 30s
    expect: { resolves: false }
  - name: FAIL dns the queen's name answered by the monitor's containers
    dns: { from: hive, name: queen }
    timeout: 30s
    expect: { to: monitor }
  - name: FAIL dns a name that resolves, expected not to
    dns: { from: queen, name: monitor }
    timeout: 30s
    expect: { resolves: false }
`;

function manifest() {
  return `version: 1
name: {{SUITE}}
topologies:
  main:
    compose: compose.yml
    publish: ephemeral
    wait: { timeout: 60s }
checks:${CHECKS}`;
}

describe('tcp, reach, sse and dns checks on a real engine', () => {
  let results: RunResults;
  let c: Record<string, CheckResult>;
  let suite: string;

  beforeAll(async () => {
    ({ results, suite } = await runFiles({ 'stackcheck.yml': manifest(), 'compose.yml': COMPOSE }));
    c = checksByName(results);
  }, 120_000);

  it('ran every check to the verdict its name says, and left nothing behind', async () => {
    expect(results.topologies[0]!.failure).toBeUndefined();
    expect(results.topologies[0]!.status).toBe('passed');
    const wrong = results.checks.filter(
      (x) => x.status !== (x.name.startsWith('FAIL') ? 'failed' : 'passed'),
    );
    expect(wrong.map((x) => `${x.name}: ${x.status}: ${x.message}`)).toEqual([]);
    expect(results.status).toBe('failed');
    expect(await leftovers({ suite })).toEqual(NOTHING);
  });

  describe('tcp', () => {
    it('connects to the published address, with its latency', () => {
      const r = c["queen's published port is open from the runner"]!;
      expect(r.message).toMatch(/^127\.0\.0\.1:\d+ accepts connections \(\d+ms\)$/);
      expect(r.evidence).toMatchObject({
        via: 'runner',
        open: true,
        latencyMs: expect.any(Number),
      });
      expect(r.targets).toEqual(['main/queen']);
    });

    it('passes open: false on a port that is not published', () => {
      const r = c['an unpublished port is closed to the runner']!;
      expect(r.message).toMatch(
        /^container port 9999 of sc-.*-main-queen-1 is not published, so the runner cannot connect, as expected$/,
      );
      expect(r.evidence).toEqual({ address: null, via: 'runner', published: false, open: false });
    });

    it('connects from inside every replica of `from`, by network name', () => {
      const r = c['hive connects to queen inside the network']!;
      expect(r.message).toBe('2/2 replicas passed');
      const replicas = r.evidence.replicas as Record<string, unknown>[];
      expect(replicas).toHaveLength(2);
      for (const x of replicas) {
        expect(x).toMatchObject({
          status: 'passed',
          address: 'queen:8080',
          open: true,
          latencyMs: expect.any(Number),
        });
        expect(x.via).toMatch(/-main-hive-[12]$/);
      }
    });

    it('tells refused from open inside the network', () => {
      const r = c['nothing listens on queen 9999, seen from hive']!;
      const replicas = r.evidence.replicas as Record<string, unknown>[];
      expect(replicas.map((x) => x.error)).toEqual([
        expect.stringContaining('Connection refused'),
        expect.stringContaining('Connection refused'),
      ]);
    });

    it('fails a service on a network `from` is not on, with the resolver error', () => {
      const r = c['FAIL tcp hive to monitor, on another network']!;
      expect(r.message).toMatch(
        /^0\/2 replicas passed; sc-.*-main-hive-1: monitor:8080 from sc-.*-main-hive-1 does not accept connections: nc: bad address 'monitor'$/,
      );
    });

    it('fails open: false on an open port', () => {
      const r = c["FAIL tcp queen's open port expected closed"]!;
      expect(r.message).toMatch(/^127\.0\.0\.1:\d+ accepts connections, expected it closed$/);
      expect(r.evidence).toMatchObject({ open: true });
    });

    it('does not mistake the engine port proxy for a listener', () => {
      const r = c['FAIL tcp published port with nothing behind it']!;
      expect(r.status).toBe('failed');
      // Docker's userland proxy accepts and hangs up; an engine without one (Podman's netavark,
      // Docker with userland-proxy off) refuses outright.
      expect(r.message).toMatch(
        /^127\.0\.0\.1:\d+ does not accept connections: (accepted, then closed at once with nothing sent|.*ECONNREFUSED)/,
      );
    });
  });

  describe('reach', () => {
    it('passes the matrix, one row per replica and target', () => {
      const r = c['every hive reaches queen']!;
      expect(r.message).toBe('all 2 pairs reachable');
      const matrix = r.evidence.matrix as Record<string, unknown>[];
      expect(matrix).toHaveLength(4);
      for (const row of matrix) {
        expect(row).toMatchObject({ from: 'main/hive', reachable: true, ms: expect.any(Number) });
        expect(row.error).toBeUndefined();
      }
      expect(matrix.map((x) => x.to).sort()).toEqual([
        'main/queen:8080',
        'main/queen:8080',
        'queen:8080',
        'queen:8080',
      ]);
      expect(r.targets).toEqual(['main/hive', 'main/queen']);
    });

    it('passes isolation across networks', () => {
      const r = c['hives are isolated from the monitor']!;
      expect(r.message).toBe('all 1 pairs isolated');
      expect(r.evidence.expect).toBe('isolated');
      expect((r.evidence.matrix as unknown[]).length).toBe(2);
    });

    it('fails on the one column that disagrees, with the whole matrix as evidence', () => {
      const r = c['FAIL reach matrix with one unreachable column']!;
      expect(r.message).toMatch(
        /^1 of 4 pairs are not reachable: main\/hive → monitor:8080 is unreachable from sc-.*-main-hive-1 \(nc: bad address 'monitor'\)$/,
      );
      const matrix = r.evidence.matrix as {
        from: string;
        to: string;
        reachable: boolean;
        error?: string;
      }[];
      expect(matrix).toHaveLength(6);
      const cell = (from: string, to: string) =>
        matrix.filter((m) => m.from === from && m.to === to).map((m) => m.reachable);
      expect(cell('main/queen', 'queen:8080')).toEqual([true]);
      expect(cell('main/queen', 'monitor:8080')).toEqual([true]);
      expect(cell('main/hive', 'queen:8080')).toEqual([true, true]);
      expect(cell('main/hive', 'monitor:8080')).toEqual([false, false]);
    });

    it('fails isolation that does not hold', () => {
      const r = c['FAIL reach isolation that does not hold']!;
      expect(r.message).toMatch(
        /^1 of 1 pairs are not isolated: main\/queen → monitor:8080 is reachable from sc-.*-main-queen-1$/,
      );
    });
  });

  describe('dns', () => {
    it("resolves a service's name in every replica of `from`, to that service's container", () => {
      const r = c['every hive finds the queen by name']!;
      const replicas = r.evidence.replicas as Record<string, unknown>[];
      expect(replicas).toHaveLength(2);
      for (const x of replicas) {
        expect(x.status).toBe('passed');
        expect(x.addresses).toEqual([expect.stringMatching(/^\d+\.\d+\.\d+\.\d+$/)]);
        expect(x.containers).toEqual([expect.stringMatching(/-main-queen-1$/)]);
        expect(x.message).toMatch(
          /^queen → [\d.]+ \(sc-\w+-main-queen-1\) in sc-\w+-main-hive-\d$/,
        );
      }
    });

    it('passes resolves: false where the name is on no network `from` is on', () => {
      const r = c['hive cannot resolve the monitor, on another network']!;
      expect(r.message).toBe('2/2 replicas passed');
      for (const x of r.evidence.replicas as Record<string, unknown>[]) {
        expect(x.message).toMatch(/^monitor does not resolve in sc-\w+-main-hive-\d$/);
        expect(x.addresses).toEqual([]);
      }
    });

    it('fails a name whose addresses belong to another service than the one named', () => {
      const r = c["FAIL dns the queen's name answered by the monitor's containers"]!;
      expect(r.message).toMatch(
        /queen resolves in sc-\w+-main-hive-\d to [\d.]+, not a container of monitor/,
      );
    });

    it('fails resolves: false on a name that resolves, with the address', () => {
      const r = c['FAIL dns a name that resolves, expected not to']!;
      expect(r.message).toMatch(
        /^monitor resolves in sc-\w+-main-queen-1 to [\d.]+; expected no answer$/,
      );
      expect(r.evidence.containers).toEqual([expect.stringMatching(/-main-monitor-1$/)]);
    });
  });

  describe('sse', () => {
    it('counts events and shows the first ones', () => {
      const r = c['the monitor streams three events']!;
      expect(r.message).toMatch(/^received at least 3 events \(first after \d+ms\)$/);
      expect(r.evidence).toMatchObject({ clients: 1, drops: 0 });
      expect(r.evidence.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/sse\?count=3&interval=50$/);
      expect((r.evidence.connections as unknown[])[0]).toMatchObject({
        client: 1,
        status: 200,
        events: 3,
        received: 3,
        dropped: false,
      });
      expect(r.evidence.firstEvents).toEqual(
        [1, 2, 3].map((n) => ({
          atMs: expect.any(Number),
          event: 'tick',
          id: String(n),
          data: `{"n":${n}}`,
        })),
      );
    });

    it('counts only events of the type and matching the data', () => {
      const r = c['only matching events of the named type count']!;
      expect(r.status).toBe('passed');
      expect((r.evidence.connections as unknown[])[0]).toMatchObject({ events: 2, received: 5 });
    });

    it('holds K clients with no drop', () => {
      const r = c['five clients held for 2s with no drop']!;
      expect(r.message).toMatch(
        /^5 clients each received at least 1 event \(first after \d+ms\); held 2s with no drop$/,
      );
      const conns = r.evidence.connections as {
        dropped: boolean;
        received: number;
        connectMs: number;
        durationMs: number;
      }[];
      expect(conns).toHaveLength(5);
      for (const x of conns) {
        expect(x.dropped).toBe(false);
        expect(x.durationMs - x.connectMs).toBeGreaterThanOrEqual(1990);
        expect(x.received).toBeGreaterThanOrEqual(5); // one every 200ms, for 2s
      }
    });

    it('fails with fewer events than required within the bound', () => {
      const r = c['FAIL sse fewer events than required']!;
      expect(r.message).toBe('2 of 5 events within 1500ms');
      expect((r.evidence.connections as unknown[])[0]).toMatchObject({ events: 2, dropped: false });
    });

    it('says which events it waited for', () => {
      expect(c['FAIL sse no event of that type']!.message).toBe('0 of 1 "job" events within 1s');
    });

    it('reports drops when the server closes before the hold ends', () => {
      const r = c['FAIL sse server closes early under a hold']!;
      expect(r.message).toMatch(
        /^3 of 3 connections dropped before the 3s hold ended; client 1: dropped at \d+\.\ds, before the 3s hold ended; and 2 more$/,
      );
      expect(r.evidence.drops).toBe(3);
      for (const x of r.evidence.connections as Record<string, unknown>[]) {
        expect(x).toMatchObject({ events: 2, dropped: true, closedMs: expect.any(Number) });
        expect(x.closedMs as number).toBeLessThan(3000);
      }
    });

    it('fails an answer that is not an event stream', () => {
      expect(c['FAIL sse not an event stream']!.message).toBe(
        'content-type is "application/json", not text/event-stream',
      );
    });
  });
});

describe('the network-checks example', () => {
  it('passes, and leaves nothing', async () => {
    const [s] = loadSuites('examples/network-checks/stackcheck.yml', { env: process.env });
    const res = await run(s!);
    const bad = res.checks.filter((x) => x.status !== 'passed');
    expect(bad.map((x) => `${x.name}: ${x.message}`)).toEqual([]);
    expect(res.checks.map((x) => x.kind).sort()).toEqual(
      expect.arrayContaining(['reach', 'sse', 'tcp']),
    );
    expect(res.status).toBe('passed');
    expect(await leftovers({ runId: res.runId })).toEqual(NOTHING);
  });
});
