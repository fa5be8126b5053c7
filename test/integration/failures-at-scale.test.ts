import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cli, workdir } from '../support/cli.js';
import { leftovers, NOTHING, uniqueSuite } from '../support/engine.js';
import { checksByName, runFiles } from '../support/run.js';

const BUSYBOX = 'stackcheck-fixture/busybox:1';
const NETTOOLS = 'stackcheck-fixture/nettools:1';
// busybox's httpd serving /health: a light service to run by the dozen.
const HTTPD = `command: [sh, -c, "mkdir -p /www && echo ok > /www/health && exec httpd -f -p 8080 -h /www"]
        healthcheck: { test: [CMD, wget, -qO-, "http://localhost:8080/health"], interval: 300ms, retries: 30 }`;

describe('failures readable where they happen, at scale', () => {
  const warnings: Error[] = [];
  const onWarning = (w: Error) => warnings.push(w);
  beforeEach(() => void process.on('warning', onWarning));
  afterEach(() => void process.off('warning', onWarning));

  it('runs many probes of one check at once without a MaxListenersExceededWarning', async () => {
    // 12 replicas answered at once by one http check, and a reach matrix of 12 cells: each
    // attempt's engine calls and sockets all listen on that attempt's signal.
    const targets = Array.from({ length: 12 }, (_, i) => `"web:${8080 + (i % 2)}"`).join(', ');
    const { results, suite } = await runFiles({
      'stackcheck.yml': `version: 1
name: {{SUITE}}
topologies:
  main:
    publish: ephemeral
    services:
      web:
        image: ${BUSYBOX}
        ports: ["8080"]
        deploy: { replicas: 12 }
        ${HTTPD}
      client:
        image: ${BUSYBOX}
        ${HTTPD}
checks:
  - name: every web replica answers
    http: { service: web, port: 8080, path: /health }
    timeout: 30s
  - name: the client tries every web port
    reach: { from: client, to: [${targets}] }
    timeout: 30s
    expect: { reachable: true }
`,
    });
    const c = checksByName(results);
    expect(c['every web replica answers']!.status, c['every web replica answers']!.message).toBe(
      'passed',
    );
    // Half the cells are 8081, where nothing listens: the matrix is whole, with every cell timed.
    const reach = c['the client tries every web port']!;
    const matrix = reach.evidence.matrix as { to: string; reachable: boolean; ms: number }[];
    expect(matrix).toHaveLength(12);
    expect(matrix.filter((m) => m.reachable).map((m) => m.to)).toEqual(Array(6).fill('web:8080'));
    for (const m of matrix) expect(m.ms).toEqual(expect.any(Number));
    expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([]);
    expect(await leftovers({ suite })).toEqual(NOTHING);
  });

  it('a reach matrix cut short by its time limit reports the cells that answered and those pending', async () => {
    // The client drops what it sends to port 9, so its connection hangs for the whole per-cell
    // wait (1 s, no shorter than the check's 1 s limit); from "fast" the same port is refused at once.
    const { results, suite } = await runFiles({
      'stackcheck.yml': `version: 1
name: {{SUITE}}
topologies:
  main:
    services:
      sink:
        image: ${BUSYBOX}
        ${HTTPD}
      fast:
        image: ${BUSYBOX}
        command: [sleep, "3600"]
      client:
        image: ${NETTOOLS}
        cap_add: [NET_ADMIN]
        command: [sh, -c, "iptables -A OUTPUT -p tcp --dport 9 -j DROP && exec sleep 3600"]
        healthcheck: { test: [CMD, iptables, -C, OUTPUT, -p, tcp, --dport, "9", -j, DROP], interval: 300ms, retries: 30 }
checks:
  - name: both reach the sink (and start their probes)
    reach: { from: [client, fast], to: ["sink:8080"] }
    timeout: 30s
  - name: port 9 is closed to both
    reach: { from: [client, fast], to: ["sink:9"] }
    expect: { reachable: false }
    timeout: 1s
    serial: true
`,
    });
    const c = checksByName(results);
    const warm = c['both reach the sink (and start their probes)']!;
    expect(warm.status, warm.message).toBe('passed');
    const cut = c['port 9 is closed to both']!;
    expect(cut.status).toBe('failed');
    expect(cut.message).toMatch(
      /^no answer within 1s from 1 of 2 cells \(first: main\/client → sink:9 from \S+-main-client-1\); of the 1 that answered: all 1 pairs isolated$/,
    );
    expect(cut.evidence.matrix).toEqual([
      expect.objectContaining({ from: 'main/client', to: 'sink:9', pending: true }),
      expect.objectContaining({
        from: 'main/fast',
        to: 'sink:9',
        reachable: false,
        ms: expect.any(Number),
        error: expect.stringContaining('Connection refused'),
      }),
    ]);
    expect(await leftovers({ suite })).toEqual(NOTHING);
  });

  it('the CLI ends with each check and step that failed, at its manifest line, and folds bring-up', async () => {
    const suite = uniqueSuite('console');
    const manifest = `version: 1
name: ${suite}
topologies:
  main:
    publish: ephemeral
    services:
      web:
        image: ${BUSYBOX}
        ports: ["8080", "9999"]
        stop_grace_period: 1s
        # Port 9999 answers every connection with a line that is not HTTP. (A port that only
        # hangs up is no good here: through the engine's port proxy such a request may hang.)
        command: [sh, -c, "mkdir -p /www && echo ok > /www/health && printf '#!/bin/sh\\necho NOT-HTTP\\n' > /bad && chmod +x /bad && (nc -ll -p 9999 -e /bad &) && exec httpd -f -p 8080 -h /www"]
        healthcheck: { test: [CMD, wget, -qO-, "http://localhost:8080/health"], interval: 300ms, retries: 30 }
checks:
  - name: web answers
    http: { service: web, port: 8080, path: /health }
  - name: a page that is not there
    http: { service: web, port: 8080, path: /nope }
  - name: a write to a port that does not speak HTTP
    propagation:
      write: { service: web, http: { port: 9999, path: /items } }
      see: { service: web, logs: true }
scenarios:
  - name: stop web
    steps:
      - stop: { service: web }
      - name: web still answers
        check: { http: { service: web, port: 8080, path: /health }, timeout: 2s }
`;
    const lineOf = (text: string) => manifest.split('\n').findIndex((l) => l.includes(text)) + 1;
    const r = await cli(['run'], { cwd: workdir({ 'stackcheck.yml': manifest }) });
    expect(r.code, r.stderr).toBe(1);
    const end = r.stderr.trimEnd().split('\n').slice(-6);
    expect(end, r.stderr).toEqual([
      '3 did not pass:',
      expect.stringMatching(
        new RegExp(
          `^stackcheck\\.yml:${lineOf('- name: a page that is not there')}:\\d+: failed: a page that is not there: .*404`,
        ),
      ),
      // The write's fetch error keeps its cause (the socket's words), not just "fetch failed".
      expect.stringMatching(
        new RegExp(
          `^stackcheck\\.yml:${lineOf('- name: a write to a port')}:\\d+: error: a write to a port that does not speak HTTP: the write failed: POST http://\\S+/items: fetch failed: \\S`,
        ),
      ),
      expect.stringMatching(
        new RegExp(
          `^stackcheck\\.yml:${lineOf('check: { http: { service: web')}:\\d+: failed: stop web › web still answers: \\S`,
        ),
      ),
      '',
      expect.stringMatching(new RegExp(`^${suite}: failed in \\S+ \\(run \\w+\\)$`)),
    ]);
    // Bring-up: one line for the topology, none per service.
    expect(r.stderr).toMatch(/main on local: 1 service healthy in \d/);
    expect(r.stderr).not.toMatch(/main\/web +(starting|started|healthy)/);
    expect(r.stderr).toMatch(/topology main on local: passed, 1 service healthy by \d/);
    expect(await leftovers({ suite })).toEqual(NOTHING);
  });
});
