/**
 * Suites over several nodes, on in-memory engines: preflight of every node before anything is
 * created, images carried from the runner's engine, and a node taken down and brought back in
 * dependency order. The real engines' side is in test/integration/two-machines.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { isUserError } from '../../src/common/errors.js';
import { Runtime } from '../../src/live/runtime.js';
import type { PortSpec, ServiceSpec } from '../../src/compose/model.js';
import { FakeEngine } from '../../src/engine/fake.js';
import type { NodeSpec, Suite, TopologySpec } from '../../src/model/suite.js';
import { LABEL } from '../../src/common/labels.js';
import { run } from '../../src/run.js';
import type { ScenarioSpec } from '../../src/model/suite.js';
import { dependsOn, service, suite, topology } from '../support/specs.js';
import { VirtualClock } from '../support/virtual-clock.js';

const pos = { file: 'test.yml', line: 1, column: 1 };
const IMAGE = 'stackcheck-fixture/busybox:1';

const NODES: Record<string, NodeSpec> = {
  main: { name: 'main', labels: [] },
  pc2: { name: 'pc2', docker: 'tcp://10.0.0.9:2375', address: '10.0.0.9', labels: [] },
};

function on(node: string, t: TopologySpec): TopologySpec {
  return { ...t, node, stableMs: 0, waitTimeoutMs: 10_000 };
}

function twoNodes(topologies: TopologySpec[], over: Partial<Suite> = {}): Suite {
  return { ...suite(topologies), nodes: NODES, ...over };
}

async function runOn(s: Suite, engines: Record<string, FakeEngine>, clock = new VirtualClock()) {
  const opened: string[] = [];
  const results = await run(s, {
    clock,
    engineFactory: (n) => {
      opened.push(n.name);
      return engines[n.name]!;
    },
  });
  return { results, opened };
}

describe('preflight', () => {
  it('an unreachable node is one error naming it and its URL; nothing is created on any node', async () => {
    const main = new FakeEngine({ node: 'main', images: [IMAGE] });
    const pc2 = Object.assign(new FakeEngine({ node: 'pc2', images: [IMAGE] }), {
      info: () => Promise.reject(new Error('connect ECONNREFUSED 10.0.0.9:2375')),
    });
    const s = twoNodes([
      on('main', topology('a', [service('web')])),
      on('pc2', topology('b', [service('api')])),
    ]);
    const err = await runOn(s, { main, pc2 }).catch((e: unknown) => e);
    expect(isUserError(err)).toBe(true);
    const problems = (err as { problems: { message: string }[] }).problems;
    expect(problems.map((p) => p.message)).toEqual([
      'the Docker engine of node "pc2" (tcp://10.0.0.9:2375) does not answer: connect ECONNREFUSED 10.0.0.9:2375',
    ]);
    for (const e of [main, pc2]) {
      expect(e.callsTo('createContainer')).toEqual([]);
      expect(e.callsTo('createNetwork')).toEqual([]);
    }
    // The node that did answer is let go again.
    expect(main.callsTo('close')).toHaveLength(1);
  });
});

describe('two nodes on one engine', () => {
  it('each container belongs to its own node, and teardown counts it once', async () => {
    const one = new FakeEngine({ node: 'main', images: [IMAGE] });
    // Both name the same engine outright: the caller's DOCKER_HOST (a CI runner's) must not
    // decide whether they are one engine.
    const socket = 'unix:///var/run/docker.sock';
    const nodes = {
      main: { ...NODES.main!, docker: socket },
      pc2: { name: 'pc2', docker: socket, labels: [] },
    };
    const s = twoNodes(
      [on('main', topology('a', [service('web')])), on('pc2', topology('b', [service('api')]))],
      { nodes },
    );
    const { results } = await runOn(s, { main: one, pc2: one });
    expect(results.status).toBe('passed');
    expect(results.teardown).toMatchObject({ containers: 2, networks: 2 });
    expect(one.resources({ [LABEL.run]: results.runId })).toEqual({
      containers: [],
      networks: [],
      volumes: [],
    });
  });
});

describe('images carried from the runner', () => {
  const shared = (node: string) => [
    on(node, topology('a', [service('web', { image: IMAGE })])),
    on(node, topology('b', [service('api', { image: IMAGE })])),
  ];

  it('with images.carry, an image a node lacks is loaded from the runner once, before any pull', async () => {
    const main = new FakeEngine({ node: 'main', images: [IMAGE] });
    const pc2 = new FakeEngine({ node: 'pc2' });
    const s = twoNodes([on('main', topology('m', [service('web')])), ...shared('pc2')], {
      images: { pull: { backoffMs: [] }, carry: true },
    });
    const { results, opened } = await runOn(s, { main, pc2 });
    expect(results.status).toBe('passed');
    // The runner's engine is the node `main` already connected, not a second connection.
    expect(opened).toEqual(['main', 'pc2']);
    expect(main.callsTo('saveImage').map((c) => c.target)).toEqual([IMAGE]);
    expect(pc2.callsTo('loadImage')).toHaveLength(1);
    expect(pc2.callsTo('pullImage')).toEqual([]);
    expect(pc2.resources({ [LABEL.run]: results.runId })).toEqual({
      containers: [],
      networks: [],
      volumes: [],
    });
  });

  it('without it, the node pulls, and a failed pull says how to carry the image instead', async () => {
    const main = new FakeEngine({ node: 'main', images: [IMAGE] });
    const pc2 = new FakeEngine({ node: 'pc2' }).failPulls(
      9,
      'dial tcp: lookup registry: no such host',
    );
    const s = twoNodes(shared('pc2'), { images: { pull: { backoffMs: [] } } });
    const { results } = await runOn(s, { main, pc2 });
    expect(results.status).toBe('error');
    expect(pc2.callsTo('loadImage')).toEqual([]);
    expect(results.topologies[0]!.failure!.message).toMatch(
      /is not on node "pc2" and pulling it failed.*set `images: \{ carry: true \}` to copy it from the runner/,
    );
  });

  it('the runner is opened for carrying when no topology runs on it', async () => {
    const runner = new FakeEngine({ node: 'runner', images: [IMAGE] });
    const pc2 = new FakeEngine({ node: 'pc2' });
    const s = twoNodes(shared('pc2'), { images: { pull: { backoffMs: [] }, carry: true } });
    const { results, opened } = await runOn(s, { runner, pc2 });
    expect(results.status).toBe('passed');
    expect(opened).toEqual(['pc2', 'runner']);
    expect(runner.callsTo('close')).toHaveLength(1);
  });
});

describe('a node down and up', () => {
  const healthcheck: ServiceSpec['healthcheck'] = { disable: false, test: ['CMD', 'true'], pos };

  it('stops dependents first, starts in dependency order, and leaves the other node alone', async () => {
    const clock = new VirtualClock();
    const main = new FakeEngine({ node: 'main', clock, images: [IMAGE] });
    const pc2 = new FakeEngine({ node: 'pc2', clock, images: [IMAGE] }).setHealth('db', {
      healthyAfterMs: 1500,
    });
    const scenarios: ScenarioSpec[] = [
      {
        name: 'pc2 reboots',
        pos,
        steps: [
          {
            index: 0,
            key: 'down',
            name: 'down',
            entry: { down: { node: 'pc2' } },
            targets: [],
            pos,
          },
          { index: 1, key: 'up', name: 'up', entry: { up: { node: 'pc2' } }, targets: [], pos },
        ],
      },
    ];
    const s = twoNodes(
      [
        on('main', topology('front', [service('web')])),
        on(
          'pc2',
          topology('back', [
            service('db', { healthcheck }),
            service('api', {
              dependsOn: { db: { condition: 'service_healthy', required: true, pos } },
            }),
            service('worker', { dependsOn: dependsOn('api') }),
          ]),
        ),
      ],
      { scenarios },
    );
    const { results } = await runOn(s, { main, pc2 }, clock);
    const sc = results.scenarios[0]!;
    expect(sc.steps.map((x) => [x.status, x.message])).toEqual([
      ['passed', 'node pc2 down: stopped 3 containers, dependents first'],
      ['passed', 'node pc2 up: every service back, in dependency order'],
    ]);
    const order = (op: string) =>
      pc2
        .callsTo(op)
        .map((c) => /-back-(\w+)-1$/.exec(c.target)?.[1])
        .filter(Boolean);
    // Bring-up starts each once, then the node's stop and start follow the tiers.
    expect(order('stopContainer').slice(0, 3)).toEqual(['worker', 'api', 'db']);
    expect(order('startContainer').slice(3)).toEqual(['db', 'api', 'worker']);
    expect(
      main.callsTo('stopContainer').filter((c) => c.target.includes('front-web')),
    ).toHaveLength(1);
  });
});

describe('cross-node addresses', () => {
  async function placed(e: FakeEngine, topology: string, name: string, ports: PortSpec[]) {
    const id = await e.createContainer({
      name: `sc-x-${topology}-${name}-1`,
      image: IMAGE,
      service: service(name, { ports }),
      labels: {},
      networks: [],
      volumeNames: {},
      ephemeralPorts: false,
    });
    await e.startContainer(id);
    return {
      topology,
      service: name,
      node: e.node,
      containerId: id,
      containerName: `sc-x-${topology}-${name}-1`,
      index: 1,
    };
  }

  async function runtime(nodes: Record<string, NodeSpec>, apiPorts: PortSpec[]) {
    const main = new FakeEngine({ node: 'main', images: [IMAGE] });
    const pc2 = new FakeEngine({ node: 'pc2', images: [IMAGE] });
    const web = await placed(main, 'front', 'web', []);
    const db = await placed(main, 'front', 'db', []);
    const api = await placed(pc2, 'back', 'api', apiPorts);
    const s = twoNodes(
      [
        on('main', topology('front', [service('web'), service('db')])),
        on('pc2', topology('back', [service('api')])),
      ],
      { nodes },
    );
    const rt = new Runtime(
      s,
      new Map([
        ['main', main],
        ['pc2', pc2],
      ]),
      [web, db, api],
      {},
      IMAGE,
    );
    return { rt, web };
  }
  const tcp = (target: number, published?: number): PortSpec => ({
    target,
    published,
    protocol: 'tcp',
    pos,
  });

  it('on the same node by network name; on another at its address and published port', async () => {
    const { rt, web } = await runtime(NODES, [tcp(8080, 50600)]);
    expect(await rt.peerAddresses(web, 'front/db', 5432)).toEqual([
      { host: 'db', port: 5432, node: 'main' },
    ]);
    expect(await rt.peerAddresses(web, 'back/api', 8080)).toEqual([
      { host: '10.0.0.9', port: 50600, node: 'pc2', container: 'sc-x-back-api-1' },
    ]);
  });

  it('a port not published on the other node is an error that says what to publish', async () => {
    const { rt, web } = await runtime(NODES, []);
    await expect(rt.peerAddresses(web, 'back/api', 8080)).rejects.toThrow(
      'sc-x-back-api-1 is on node pc2 and sc-x-front-web-1 on node main: containers on two engines meet only at published ports, and container port 8080 is not published; publish it in compose (ports: ["8080"])',
    );
  });

  it('a node the containers cannot address is an error naming the setting', async () => {
    const { rt, web } = await runtime(
      { ...NODES, pc2: { name: 'pc2', docker: 'unix:///run/pc2.sock', labels: [] } },
      [tcp(8080, 50600)],
    );
    await expect(rt.peerAddresses(web, 'back/api', 8080)).rejects.toThrow(
      'sc-x-front-web-1 on node main cannot reach node pc2 at 127.0.0.1: set `address:` of node pc2 to an address that containers on node main can reach',
    );
  });
});

describe('addresses across topologies on one node', () => {
  /** Two compose projects on one engine, each with an `api`; `shared` is a network both may join. */
  async function runtime(opts: { backNetworks: string[]; backPorts: PortSpec[] }) {
    const e = new FakeEngine({ node: 'main', images: [IMAGE] });
    for (const n of ['sc-x-front-default', 'sc-x-back-default', 'shared']) e.addNetwork(n);
    const place = async (topology: string, name: string, networks: string[], ports: PortSpec[]) => {
      const containerName = `sc-x-${topology}-${name}-1`;
      const id = await e.createContainer({
        name: containerName,
        image: IMAGE,
        service: service(name, { ports }),
        labels: {},
        networks: networks.map((n) => ({ name: n, aliases: [name] })),
        volumeNames: {},
        ephemeralPorts: false,
      });
      await e.startContainer(id);
      return { topology, service: name, node: 'main', containerId: id, containerName, index: 1 };
    };
    const web = await place('front', 'web', ['sc-x-front-default', 'shared'], []);
    const frontApi = await place('front', 'api', ['sc-x-front-default'], []);
    const backApi = await place('back', 'api', opts.backNetworks, opts.backPorts);
    const s: Suite = {
      ...suite([
        on('main', topology('front', [service('web'), service('api')])),
        on('main', topology('back', [service('api')])),
      ]),
      // The local socket by name: a caller's DOCKER_HOST must not make this node a remote one.
      nodes: { main: { name: 'main', docker: 'unix:///var/run/docker.sock', labels: [] } },
    };
    const rt = new Runtime(s, new Map([['main', e]]), [web, frontApi, backApi], {}, IMAGE);
    const state = (id: string) => e.inspectContainer(id);
    return { rt, web, backApi: await state(backApi.containerId) };
  }
  const published = (target: number, port: number): PortSpec => ({
    target,
    published: port,
    protocol: 'tcp',
    pos,
  });

  it('its own topology by name; a namesake in another at that container, on the network both join', async () => {
    const { rt, web, backApi } = await runtime({
      backNetworks: ['sc-x-back-default', 'shared'],
      backPorts: [],
    });
    expect(await rt.peerAddresses(web, 'front/api', 8080)).toEqual([
      { host: 'api', port: 8080, node: 'main' },
    ]);
    const onShared = backApi.networks!.find((n) => n.name === 'shared')!.ipv4!;
    expect(await rt.peerAddresses(web, 'back/api', 8080)).toEqual([
      { host: onShared, port: 8080, node: 'main', container: 'sc-x-back-api-1' },
    ]);
  });

  it('with no network in common, at its published port on the gateway of the caller’s network', async () => {
    const { rt, web } = await runtime({
      backNetworks: ['sc-x-back-default'],
      backPorts: [published(8080, 50100)],
    });
    const [peer] = await rt.peerAddresses(web, 'back/api', 8080);
    expect(peer).toMatchObject({ port: 50100, container: 'sc-x-back-api-1' });
    expect(peer!.host).toMatch(/^10\.\d+\.0\.1$/);
    expect(peer!.host).not.toBe('api');
  });

  it('with neither, an error that says how to give it a route, never the caller’s namesake', async () => {
    const { rt, web } = await runtime({ backNetworks: ['sc-x-back-default'], backPorts: [] });
    await expect(rt.peerAddresses(web, 'back/api', 8080)).rejects.toThrow(
      'sc-x-back-api-1 shares no network with sc-x-front-web-1: containers of two compose projects meet only on a network both join or at published ports, and container port 8080 is not published; publish it in compose (ports: ["8080"]), or join both services to one external network',
    );
  });
});
