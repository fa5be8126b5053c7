import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { judgePorts } from '../../src/checks/kinds/ports.js';
import {
  findCollisions,
  parsePortRange,
  portText,
  publishedPorts,
} from '../../src/model/port-collisions.js';
import { UserError } from '../../src/common/errors.js';
import type { PortSpec } from '../../src/compose/model.js';
import { loadSuite } from '../../src/manifest/load.js';
import type { TopologySpec } from '../../src/model/suite.js';
import { workdir } from '../support/cli.js';
import { service, suite, topology } from '../support/specs.js';

function port(file: string, line: number, over: Partial<PortSpec> = {}): PortSpec {
  return { target: 80, published: 8080, protocol: 'tcp', pos: { file, line, column: 9 }, ...over };
}

function topo(name: string, ports: PortSpec[], over: Partial<TopologySpec> = {}): TopologySpec {
  return { ...topology(name, [service(`${name}-svc`, { ports })]), ...over };
}

const spec = (over: Partial<Parameters<typeof judgePorts>[0]> = {}) => ({
  scope: 'node' as const,
  runner: false,
  declared: false,
  ...over,
});
const never = new AbortController().signal;

describe('ports: collisions in the compose models', () => {
  it('finds two topologies on one node publishing the same host port, naming both positions', async () => {
    const s = suite([
      topo('main', [port('compose.main.yml', 7)]),
      topo('pc2', [port('compose.pc2.yml', 12, { target: 50100 })]),
    ]);
    const out = await judgePorts(spec(), s, undefined, never);
    expect(out.status).toBe('failed');
    expect(out.message).toContain('1 collision');
    expect(out.message).toContain('compose.main.yml:7:9');
    expect(out.message).toContain('compose.pc2.yml:12:9');
    expect(out.message).toContain('host port 8080/tcp on node local');
    expect(out.evidence.collisions).toEqual([
      expect.objectContaining({
        hostPorts: '8080',
        protocol: 'tcp',
        a: {
          service: 'main/main-svc',
          node: 'local',
          port: '8080:80/tcp',
          at: 'compose.main.yml:7:9',
        },
        b: {
          service: 'pc2/pc2-svc',
          node: 'local',
          port: '8080:50100/tcp',
          at: 'compose.pc2.yml:12:9',
        },
      }),
    ]);
  });

  it('keeps nodes apart under scope node and joins them under scope suite', async () => {
    const s = suite([
      topo('main', [port('a.yml', 1)]),
      topo('pc2', [port('b.yml', 2)], { node: 'pc2' }),
    ]);
    s.nodes.pc2 = { name: 'pc2', labels: [], docker: 'tcp://pc2:2375' };
    expect((await judgePorts(spec(), s, undefined, never)).status).toBe('passed');
    const suiteWide = await judgePorts(spec({ scope: 'suite' }), s, undefined, never);
    expect(suiteWide.status).toBe('failed');
    expect(suiteWide.message).toContain('on nodes local and pc2 (scope: suite)');
    expect(suiteWide.message).toMatch(/a\.yml:1:9.*b\.yml:2:9/);
  });

  it('overlaps a wildcard address with every address, and keeps distinct addresses and protocols apart', () => {
    const one = (over: Partial<PortSpec>) =>
      publishedPorts(suite([topo('a', [port('a', 1)]), topo('b', [port('b', 2, over)])])).bindings;
    const collide = (over: Partial<PortSpec>, first: Partial<PortSpec> = {}) =>
      findCollisions(
        publishedPorts(suite([topo('a', [port('a', 1, first)]), topo('b', [port('b', 2, over)])]))
          .bindings,
        'node',
      ).length;
    expect(one({}).length).toBe(2);
    expect(collide({ hostIp: '127.0.0.1' })).toBe(1); // no address = all addresses
    expect(collide({ hostIp: '127.0.0.1' }, { hostIp: '0.0.0.0' })).toBe(1);
    expect(collide({ hostIp: '127.0.0.1' }, { hostIp: '::' })).toBe(1);
    expect(collide({ hostIp: '127.0.0.1' }, { hostIp: '127.0.0.2' })).toBe(0);
    expect(collide({ hostIp: '127.0.0.1' }, { hostIp: '127.0.0.1' })).toBe(1);
    expect(collide({ protocol: 'udp' })).toBe(0);
    expect(collide({ published: 8081 })).toBe(0);
    expect(collide({ published: undefined })).toBe(0); // engine-picked host port
  });

  it('counts a host-port range as its whole span', async () => {
    const s = suite([
      topo('a', [port('a.yml', 3, { published: 8000, publishedEnd: 8010 })]),
      topo('b', [port('b.yml', 4, { published: 8005 })]),
    ]);
    const out = await judgePorts(spec(), s, undefined, never);
    expect(out.status).toBe('failed');
    expect(out.message).toContain('host port 8005/tcp');
    expect(out.message).toContain('"8000-8010:80/tcp" (a.yml:3:9)');
  });

  it('finds the replicas of one service on one fixed host port, but not on a wide enough range', () => {
    const fixed = topology('t', [service('w', { replicas: 3, ports: [port('c.yml', 5)] })]);
    const c = findCollisions(publishedPorts(suite([fixed])).bindings, 'node');
    expect(c).toHaveLength(1);
    expect(c[0]!.replicas).toBe(true);
    const ranged = topology('t', [
      service('w', {
        replicas: 3,
        ports: [port('c.yml', 5, { published: 9000, publishedEnd: 9002 })],
      }),
    ]);
    expect(findCollisions(publishedPorts(suite([ranged])).bindings, 'node')).toEqual([]);
  });

  it('finds two ports of one service on the same host port', () => {
    const t = topology('t', [
      service('w', { ports: [port('c.yml', 5), port('c.yml', 6, { target: 81 })] }),
    ]);
    expect(findCollisions(publishedPorts(suite([t])).bindings, 'node')).toHaveLength(1);
  });

  it('leaves ephemeral topologies out unless declared ports are asked for', async () => {
    const s = suite([
      topo('main', [port('a.yml', 1)]),
      topo('pc2', [port('b.yml', 2)], { publish: 'ephemeral' }),
    ]);
    const out = await judgePorts(spec(), s, undefined, never);
    expect(out.status).toBe('passed');
    expect(out.message).toContain('1 ephemeral topology not judged');
    expect(out.evidence.notJudged).toEqual([expect.objectContaining({ topology: 'pc2' })]);
    expect((await judgePorts(spec({ declared: true }), s, undefined, never)).status).toBe('failed');
  });

  it('is skipped, not passed, when every topology publishes ephemerally', async () => {
    const s = suite([topo('a', [port('a.yml', 1)], { publish: 'ephemeral' })]);
    const out = await judgePorts(spec(), s, undefined, never);
    expect(out.status).toBe('skipped');
    expect(out.message).toContain('declared: true');
  });

  it('passes a suite that publishes no host port at all', async () => {
    const s = suite([topo('a', [port('a.yml', 1, { published: undefined })])]);
    const out = await judgePorts(spec(), s, undefined, never);
    expect(out).toMatchObject({
      status: 'passed',
      message: 'no published host ports, no collisions',
    });
  });
});

describe('ports: allowed range', () => {
  it('fails ports outside the range, with their positions', async () => {
    const s = suite([
      topo('pc2', [
        port('pc2.yml', 4, { published: 50100 }),
        port('pc2.yml', 5, { published: 8080, target: 81 }),
        port('pc2.yml', 6, { published: 50990, publishedEnd: 51010, target: 82 }),
      ]),
    ]);
    const out = await judgePorts(spec({ range: '50000-50999' }), s, undefined, never);
    expect(out.status).toBe('failed');
    expect(out.message).toContain('2 ports outside 50000-50999');
    expect(out.message).toContain(
      'pc2/pc2-svc "8080:81/tcp" (pc2.yml:5:9) publishes host port 8080',
    );
    expect(out.message).toContain('(pc2.yml:6:9) publishes host port 50990-51010');
    expect(out.evidence.outOfRange).toHaveLength(2);
  });

  it('passes when every port lies in the range', async () => {
    const s = suite([topo('pc2', [port('pc2.yml', 4, { published: 50100 })])]);
    const out = await judgePorts(spec({ range: '50000-50999' }), s, undefined, never);
    expect(out).toMatchObject({
      status: 'passed',
      message: '1 published host port, no collisions, all within 50000-50999',
    });
  });

  it('parses ranges and says what is wrong with a bad one', () => {
    expect(parsePortRange('50000-50999')).toEqual([50000, 50999]);
    expect(parsePortRange('8080')).toEqual([8080, 8080]);
    expect(parsePortRange('9-1')).toMatch(/starts after it ends/);
    expect(parsePortRange('0-70000')).toMatch(/1-65535/);
    expect(parsePortRange('lots')).toMatch(/not a port range/);
  });

  it("holds each topology to its node's portRange when the check has no range", async () => {
    const s = suite([
      topo('main', [port('main.yml', 3, { published: 8080 })]),
      topo('pc2', [
        port('pc2.yml', 4, { published: 50100 }),
        port('pc2.yml', 5, { published: 50800, target: 81 }),
      ]),
    ]);
    s.topologies[1]!.node = 'pc2';
    s.nodes.pc2 = { name: 'pc2', labels: [], portRange: '50100-50799' };
    const out = await judgePorts(spec(), s, undefined, never);
    // main's 8080 is not judged: its node has no portRange.
    expect(out.status).toBe('failed');
    expect(out.message).toBe(
      `1 port outside its node's portRange: pc2/pc2-svc "50800:81/tcp" (pc2.yml:5:9) publishes host port 50800, outside node pc2's portRange 50100-50799`,
    );
    expect(out.evidence).toMatchObject({
      nodeRanges: { pc2: '50100-50799' },
      outOfRange: [
        { service: 'pc2/pc2-svc', node: 'pc2', port: '50800:81/tcp', at: 'pc2.yml:5:9' },
      ],
    });

    s.topologies[1]!.project.services['pc2-svc']!.ports.pop();
    expect(await judgePorts(spec(), s, undefined, never)).toMatchObject({
      status: 'passed',
      message:
        "2 published host ports, no collisions, all within their node's portRange (pc2 50100-50799)",
    });
    // The check's own range wins over the node's.
    const own = await judgePorts(spec({ range: '8000-9000' }), s, undefined, never);
    expect(own.message).toContain('1 port outside 8000-9000: pc2/pc2-svc "50100:80/tcp"');
  });

  it('writes ports as compose does', () => {
    expect(portText(port('x', 1, { hostIp: '127.0.0.1' }))).toBe('127.0.0.1:8080:80/tcp');
    expect(portText(port('x', 1, { hostIp: '::1', protocol: 'udp' }))).toBe('[::1]:8080:80/udp');
    expect(portText(port('x', 1, { published: undefined }))).toBe('80/tcp');
  });
});

describe('ports: the runner machine', () => {
  const servers: Server[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
  });
  async function listen(): Promise<number> {
    const s = createServer();
    servers.push(s);
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    return (s.address() as { port: number }).port;
  }
  async function freePort(): Promise<number> {
    const p = await listen();
    await new Promise((r) => servers.pop()!.close(r));
    return p;
  }

  it('fails a published port that something on this machine already listens on', async () => {
    const busy = await listen();
    const s = suite([topo('main', [port('main.yml', 3, { published: busy })])]);
    const out = await judgePorts(spec({ runner: true }), s, undefined, never);
    expect(out.status).toBe('failed');
    expect(out.message).toContain('1 port busy on this machine');
    expect(out.message).toContain(`"${busy}:80/tcp" (main.yml:3:9)`);
    expect(out.evidence.runner).toMatchObject({
      busy: [{ error: 'EADDRINUSE', hostPort: String(busy) }],
    });
  });

  it('passes a free port, and does not count the models alone as proof for remote nodes', async () => {
    const free = await freePort();
    const s = suite([
      topo('main', [port('main.yml', 3, { published: free, hostIp: '127.0.0.1' })]),
    ]);
    const out = await judgePorts(spec({ runner: true }), s, undefined, never);
    expect(out).toMatchObject({ status: 'passed', evidence: { runner: { checked: 1, busy: [] } } });

    const remote = suite([topo('pc2', [port('pc2.yml', 3, { published: free })], { node: 'pc2' })]);
    remote.nodes.pc2 = { name: 'pc2', labels: [], docker: 'ssh://ci@pc2' };
    const skipped = await judgePorts(spec({ runner: true }), remote, undefined, never);
    expect(skipped.status).toBe('skipped');
    expect(skipped.message).toContain("node pc2 is not this machine's engine");
  });

  it('needs only one free port of a host-port range', async () => {
    const busy = await listen();
    const s = suite([
      topo('main', [
        port('m.yml', 3, { published: busy, publishedEnd: busy + 1, hostIp: '127.0.0.1' }),
      ]),
    ]);
    const out = await judgePorts(spec({ runner: true }), s, undefined, never);
    // busy+1 is very likely free; when it is not, the message says so.
    if (out.status === 'failed')
      expect(out.message).toContain('only 0 of the 1 ports needed are free');
    else expect(out.status).toBe('passed');
  });
});

describe('ports: at load time', () => {
  it('rejects a bad range at its position', () => {
    const dir = workdir({
      'stackcheck.yml': `version: 1
name: s
topologies:
  t:
    services:
      a: { image: x, ports: ["8080:80"] }
checks:
  - name: ports in range
    ports: { range: "9000-8000" }
`,
    });
    try {
      loadSuite(`${dir}/stackcheck.yml`, { env: {} });
      expect.unreachable('the manifest should be rejected');
    } catch (e) {
      expect(e).toBeInstanceOf(UserError);
      const [p] = (e as UserError).problems;
      expect(p!.message).toBe(
        'check "ports in range": "9000-8000": the range starts after it ends',
      );
      expect(p!.pos).toMatchObject({ line: 9, column: 21 });
    }
  });

  it("reads a node's portRange, and rejects a bad one at its line", () => {
    const manifest = (range: string) =>
      workdir({
        'stackcheck.yml': `version: 1
name: s
nodes:
  pc2:
    portRange: "${range}"
topologies:
  t:
    services:
      a: { image: x, ports: ["50100:80"] }
`,
      });
    const ok = loadSuite(`${manifest('50100-50799')}/stackcheck.yml`, { env: {} });
    expect(ok.nodes.pc2).toMatchObject({ portRange: '50100-50799' });
    try {
      loadSuite(`${manifest('50799-50100')}/stackcheck.yml`, { env: {} });
      expect.unreachable('the manifest should be rejected');
    } catch (e) {
      expect(e).toBeInstanceOf(UserError);
      const [p] = (e as UserError).problems;
      expect(p!.message).toBe('nodes.pc2.portRange: "50799-50100": the range starts after it ends');
      expect(p!.pos).toMatchObject({ line: 5, column: 16 });
    }
  });

  it('loads `ports: {}` with its defaults', () => {
    const dir = workdir({
      'stackcheck.yml': `version: 1
name: s
topologies:
  t:
    services:
      a: { image: x }
checks:
  - name: no collisions
    ports: {}
`,
    });
    const s = loadSuite(`${dir}/stackcheck.yml`, { env: {} });
    expect(s.checks[0]).toMatchObject({
      kind: 'ports',
      phase: 'static',
      entry: { ports: { scope: 'node', runner: false, declared: false } },
    });
  });
});
