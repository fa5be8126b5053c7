import { describe, expect, it } from 'vitest';
import { answers } from '../../src/checks/kinds/dns.js';
import { dur } from '../support/specs.js';
import { UserError } from '../../src/common/errors.js';
import { parseTarget } from '../../src/checks/kinds/reach.schema.js';
import { loadSuite } from '../../src/manifest/load.js';
import { workdir } from '../support/cli.js';

// Load-time validation of the tcp, reach, sse and gpu kinds: every mistake is a manifest error
// at its own line and column, before anything starts.

const HEAD = `version: 1
name: s
topologies:
  main:
    services:
      api: { image: a }
      web: { image: w }
  ui:
    services:
      monitor: { image: m }
checks:
`;
/** The first check starts on this line of the manifest. */
const FIRST = HEAD.split('\n').length;

function load(checks: string) {
  const dir = workdir({ 'stackcheck.yml': HEAD + checks });
  return loadSuite(`${dir}/stackcheck.yml`, { env: {} });
}

function problems(checks: string): string[] {
  try {
    load(checks);
  } catch (e) {
    if (e instanceof UserError) {
      return e.problems.map((p) => `${p.pos!.line - FIRST + 1}:${p.pos!.column}: ${p.message}`);
    }
    throw e;
  }
  throw new Error('expected the manifest to be rejected');
}

describe('reach targets', () => {
  it('reads service, topology/service, host and [IPv6] targets', () => {
    expect(parseTarget('api:8080')).toEqual({
      text: 'api:8080',
      service: 'api',
      host: 'api',
      port: 8080,
    });
    expect(parseTarget('main/api:8080')).toEqual({
      text: 'main/api:8080',
      service: 'main/api',
      host: 'api',
      port: 8080,
    });
    expect(parseTarget('db.example.com:5432')).toEqual({
      text: 'db.example.com:5432',
      host: 'db.example.com',
      port: 5432,
    });
    expect(parseTarget('10.0.0.5:22')).toEqual({ text: '10.0.0.5:22', host: '10.0.0.5', port: 22 });
    expect(parseTarget('localhost:9000')).toMatchObject({ host: 'localhost', port: 9000 });
    expect(parseTarget('[fd00::1]:80')).toEqual({
      text: '[fd00::1]:80',
      host: 'fd00::1',
      port: 80,
    });
  });

  it('says what is wrong with one that is not an address', () => {
    expect(parseTarget('api')).toBe('"api" is not service:port or host:port');
    expect(parseTarget('api:70000')).toBe('port 70000 in "api:70000" is not between 1 and 65535');
    expect(parseTarget('fd00::1:80')).toBe('write an IPv6 address in brackets: [fd00::1]:80');
  });
});

describe('loading network and GPU checks', () => {
  it('accepts every form, with defaults, and records the services they name', () => {
    const suite = load(`  - name: published port open
    tcp: { service: api, port: 8080 }
  - name: isolated
    reach: { from: [main/web, api], to: [monitor:8080, "ui/monitor:9090", "db.example.com:5432"] }
    expect: { reachable: false }
  - name: stream
    sse: { url: "http://x.test/sse", headers: { authorization: t } }
    expect: { events: 3, within: 2s, hold: 5s, clients: 5 }
    timeout: 10s
  - name: gpus
    gpu: { runner: true }
`);
    const byName = Object.fromEntries(suite.checks.map((c) => [c.name, c]));
    expect(byName['published port open']).toMatchObject({
      kind: 'tcp',
      targets: ['main/api'],
      entry: { tcp: { service: 'api', port: 8080 }, expect: { open: true } },
    });
    expect(byName.isolated!.targets).toEqual(['main/web', 'main/api', 'ui/monitor']);
    expect(byName.stream).toMatchObject({
      kind: 'sse',
      timeoutMs: 10_000,
      entry: { sse: { path: '/' }, expect: { events: 3, clients: 5, hold: dur('5s') } },
    });
    expect(byName.gpus!.entry).toMatchObject({ gpu: { runner: true, min: 1 } });
  });

  it('reports a misspelt service in reach `to:` at its list item, with the services there are', () => {
    expect(
      problems(`  - name: web reaches the api
    reach:
      from: web
      to:
        - api:8080
        - apii:8080
`),
    ).toEqual([
      '6:11: check "web reaches the api": no service "apii" in any topology (services: main/api, main/web, ui/monitor)',
    ]);
  });

  it('reports a wrong `from`, a bad target and an unknown topology, each at its own place', () => {
    expect(
      problems(`  - name: matrix
    reach: { from: [web, wbe], to: ["nope/api:80", "api"] }
`),
    ).toEqual([
      '2:26: check "matrix": no service "wbe" in any topology (services: main/api, main/web, ui/monitor)',
      '2:37: check "matrix": no topology "nope" (topologies: main, ui)',
      '2:52: check "matrix": "api" is not service:port or host:port',
    ]);
  });

  it('checks tcp targets and sources', () => {
    expect(
      problems(`  - name: both
    tcp: { service: api, host: x.test, port: 80 }
  - name: misspelt from
    tcp: { service: api, port: 80, from: wbe }
  - name: no port
    tcp: { host: x.test }
`),
    ).toEqual([
      '2:10: checks.0.tcp: give either `service` or `host` (with `port`)',
      '4:42: check "misspelt from": no service "wbe" in any topology (services: main/api, main/web, ui/monitor)',
      '6:5: checks.2.tcp.port is required',
    ]);
  });

  it('refuses an SSE hold or `within` the check timeout cannot cover, and a bad regex', () => {
    expect(
      problems(`  - name: held too long
    sse: { service: api, port: 8080, path: /sse }
    expect: { hold: 30s, within: 20s, match: { regex: "(" } }
    timeout: 15s
  - name: no port
    sse: { service: api }
`),
    ).toEqual([
      '3:46: check "held too long": Invalid regular expression: /(/: Unterminated group',
      '3:21: check "held too long": `hold: 30s` keeps the streams open past the check\'s `timeout: 15s`; set a longer timeout, e.g. `timeout: 35s`',
      '3:34: check "held too long": `within: 20s` is longer than the check\'s `timeout: 15s`; set `timeout: 20s` or more',
      '6:10: checks.1.sse: `service` needs `port` (the container port)',
    ]);
  });

  it('wants a GPU check on a service or the runner, not both or neither', () => {
    const both = problems(`  - name: both
    gpu: { service: api, runner: true }
  - name: neither
    gpu: { min: 2 }
  - name: misspelt
    gpu: { service: vision }
`);
    expect(both).toEqual([
      '2:10: checks.0.gpu: give either `service` (GPUs inside its containers) or `runner: true` (the runner’s own)',
      '4:10: checks.1.gpu: give either `service` (GPUs inside its containers) or `runner: true` (the runner’s own)',
      '6:21: check "misspelt": no service "vision" in any topology (services: main/api, main/web, ui/monitor)',
    ]);
  });
});

describe('dns answers', () => {
  it('reads the addresses after the name, not the resolver', () => {
    const busybox =
      "Server:\t\t127.0.0.11\nAddress:\t127.0.0.11:53\n\nNon-authoritative answer:\nName:\tqueen\nAddress: 172.20.0.3\n\n*** Can't find queen: No answer\n";
    expect(answers(busybox)).toEqual(['172.20.0.3']);
    expect(answers('Name:      db\nAddress 1: 10.0.0.2 db.net\nAddress 2: fd00::2\n')).toEqual([
      '10.0.0.2',
      'fd00::2',
    ]);
    expect(
      answers("Server: 127.0.0.11\nAddress: 127.0.0.11:53\n\n** server can't find x: NXDOMAIN\n"),
    ).toEqual([]);
  });
});

describe('loading dns checks', () => {
  it('records the services it names, with its defaults', () => {
    const [c] = load(`  - name: api finds web
    dns: { from: api, name: web }
`).checks;
    expect(c).toMatchObject({
      kind: 'dns',
      targets: ['main/api'],
      entry: { dns: { from: 'api', name: 'web' }, expect: { resolves: true } },
    });
  });

  it('refuses a misspelt service and `to` with `resolves: false`, each at its place', () => {
    expect(
      problems(`  - name: x
    dns: { from: apx, name: web }
  - name: y
    dns: { from: api, name: web }
    expect: { resolves: false, to: main/web }
`),
    ).toEqual([
      expect.stringMatching(/^2:18: check "x": no service "apx"/),
      expect.stringMatching(/^5:36: check "y": `to` says whose addresses/),
    ]);
  });
});
