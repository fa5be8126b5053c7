/**
 * What a run asks of each engine: the results count every call by node and kind, and the
 * waits and probes that used to re-read a container on every poll or probe read it once per
 * change (issue 25: a remote node got 565 inspects against the main one's 217).
 */
import { describe, expect, it } from 'vitest';
import { OomCounter } from '../../src/live/oom-counter.js';
import { Runtime } from '../../src/live/runtime.js';
import type { Replica } from '../../src/model/refs.js';
import type { ServiceSpec } from '../../src/compose/model.js';
import { countingEngine } from '../../src/engine/count.js';
import type { CreateContainerRequest } from '../../src/engine/engine.js';
import { FakeEngine } from '../../src/engine/fake.js';
import type { NodeSpec, Suite, TopologySpec } from '../../src/model/suite.js';
import { LABEL } from '../../src/common/labels.js';
import { waitBack } from '../../src/orchestrator/wait-back.js';
import { run } from '../../src/run.js';
import type { ScenarioSpec } from '../../src/model/suite.js';
import { dependsOn, service, suite, topology } from '../support/specs.js';
import { VirtualClock } from '../support/virtual-clock.js';

const pos = { file: 'test.yml', line: 1, column: 1 };
const IMAGE = 'stackcheck-fixture/busybox:1';
const RUN = { [LABEL.run]: 'r1' };
const healthcheck: ServiceSpec['healthcheck'] = { disable: false, test: ['CMD', 'true'], pos };

const NODES: Record<string, NodeSpec> = {
  main: { name: 'main', labels: [] },
  pc2: { name: 'pc2', docker: 'tcp://10.0.0.9:2375', address: '10.0.0.9', labels: [] },
};

function on(node: string, t: TopologySpec): TopologySpec {
  return { ...t, node, stableMs: 0, waitTimeoutMs: 60_000 };
}

function request(svc: ServiceSpec): CreateContainerRequest {
  return {
    name: svc.name,
    image: IMAGE,
    service: svc,
    labels: { ...RUN, [LABEL.service]: svc.name },
    networks: [],
    volumeNames: {},
    ephemeralPorts: true,
  };
}

/** Every call the fake recorded, by kind, as the results should count them. */
function recorded(fake: FakeEngine): Record<string, number> {
  const out: Record<string, number> = {};
  for (const c of fake.calls) if (c.op !== 'close') out[c.op] = (out[c.op] ?? 0) + 1;
  return out;
}

describe('engine calls in the results', () => {
  it('counts each node’s calls by kind, exactly as the engine received them', async () => {
    const clock = new VirtualClock();
    const main = new FakeEngine({ node: 'main', clock, images: [IMAGE] });
    const pc2 = new FakeEngine({ node: 'pc2', clock, images: [IMAGE] });
    const s: Suite = {
      ...suite([
        on('main', topology('front', [service('web')])),
        on('pc2', topology('back', [service('db', { healthcheck }), service('api')])),
      ]),
      nodes: NODES,
    };
    const results = await run(s, { clock, engineFactory: (n) => (n.name === 'main' ? main : pc2) });
    expect(results.status).toBe('passed');
    expect(results.engineCalls).toEqual({ main: recorded(main), pc2: recorded(pc2) });
    expect(results.engineCalls!.pc2!.createContainer).toBe(2);
    expect(results.engineCalls!.main!.createContainer).toBe(1);
  });

  it('a wrapped engine counts a call once, whatever it returns, and not its close', async () => {
    const calls: Record<string, number> = {};
    const fake = new FakeEngine({ images: [IMAGE] });
    const engine = countingEngine(fake, calls);
    const id = await engine.createContainer(request(service('app')));
    await engine.startContainer(id);
    await Promise.all([engine.inspectContainer(id), engine.inspectContainer(id)]);
    await engine.inspectContainer('nope').catch(() => undefined);
    await engine.close();
    expect(calls).toEqual({ createContainer: 1, startContainer: 1, inspectContainer: 3 });
    expect(engine.node).toBe(fake.node);
  });
});

describe('waiting for a container to be back', () => {
  // A healthcheck the engine reports healthy only after 10 s (a long interval, as seed 000's
  // services have): the wait used to read the container every 250 ms meanwhile.
  async function started() {
    const clock = new VirtualClock();
    const fake = new FakeEngine({ clock, images: [IMAGE] }).setHealth('db', {
      healthyAfterMs: 10_000,
    });
    const feed = new OomCounter(fake, RUN);
    const id = await fake.createContainer(request(service('db', { healthcheck })));
    await fake.startContainer(id);
    const inspects = () => fake.callsTo('inspectContainer').length;
    return { clock, fake, feed, id, inspects };
  }
  const opts = (clock: VirtualClock) => ({
    clock,
    signal: new AbortController().signal,
    readyTimeoutMs: 60_000,
    stableMs: 1000,
  });

  it('with the run’s event feed, reads on each change and a backstop, not on every poll', async () => {
    const { clock, fake, feed, id, inspects } = await started();
    const t0 = clock.now();
    await expect(waitBack(fake, id, { ...opts(clock), changes: feed })).resolves.toBe('healthy');
    // Back the moment the engine says so: at the start, 2 s backstops, and the health event.
    expect(clock.now() - t0).toBe(10_000);
    expect(inspects()).toBe(6);
    feed.close();
  });

  it('without a feed (an attached stack, whose events the run does not follow), it polls', async () => {
    const { clock, fake, feed, id, inspects } = await started();
    feed.close();
    await expect(waitBack(fake, id, opts(clock))).resolves.toBe('healthy');
    expect(inspects()).toBe(41);
  });

  it('runs the healthcheck itself too: back when it passes, also on an engine that runs none', async () => {
    const clock = new VirtualClock();
    // The command passes 300 ms after the start; the engine never reports (Podman without systemd).
    const fake = new FakeEngine({ clock, images: [IMAGE] }).setHealth('db', {
      healthyAfterMs: 300,
      reportedAfterMs: Infinity,
    });
    const id = await fake.createContainer(request(service('db', { healthcheck })));
    await fake.startContainer(id);
    const t0 = clock.now();
    await expect(waitBack(fake, id, { ...opts(clock), healthcheck })).resolves.toBe('healthy');
    expect(clock.now() - t0).toBeGreaterThanOrEqual(300);
    expect(clock.now() - t0).toBeLessThan(1300);
    // The engine's word alone never comes.
    await expect(waitBack(fake, id, { ...opts(clock), readyTimeoutMs: 5000 })).rejects.toThrow(
      'was not healthy within 5.0s (health starting)',
    );
  });

  it('without a healthcheck, back when the stability window ends, not a backstop later', async () => {
    const { clock, fake, feed } = await started();
    const id = await fake.createContainer(request(service('worker')));
    await fake.startContainer(id);
    fake.calls.length = 0;
    const t0 = clock.now();
    await expect(waitBack(fake, id, { ...opts(clock), changes: feed })).resolves.toBe('running');
    expect(clock.now() - t0).toBe(1000);
    // At the start, on its start event (delivered after the wait began), at the window's end.
    expect(fake.callsTo('inspectContainer').length).toBeLessThanOrEqual(3);
    feed.close();
  });
});

describe('a node that comes back up', () => {
  it('is waited on through the run’s event feed: its containers are not read every 250 ms', async () => {
    const clock = new VirtualClock();
    const main = new FakeEngine({ node: 'main', clock, images: [IMAGE] });
    // Its healthcheck passes at 10 s, when the engine says so too (stackcheck's own runs of it
    // would otherwise end the wait sooner).
    const pc2 = new FakeEngine({ node: 'pc2', clock, images: [IMAGE] }).setHealth('db', {
      reportedAfterMs: 10_000,
      healthyAfterMs: 10_000,
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
    const s: Suite = {
      ...suite([
        on('main', topology('front', [service('web')])),
        on(
          'pc2',
          topology('back', [
            service('db', { healthcheck }),
            service('api', { dependsOn: dependsOn('db') }),
          ]),
        ),
      ]),
      nodes: NODES,
      scenarios,
    };
    const results = await run(s, { clock, engineFactory: (n) => (n.name === 'main' ? main : pc2) });
    expect(results.scenarios[0]!.steps.map((x) => x.status)).toEqual(['passed', 'passed']);
    // From the up step's start of db until api, which waits for it, starts.
    const starts = pc2.callsTo('startContainer');
    const from = starts.filter((c) => c.target.includes('-back-db-'))[1]!.atMs;
    const to = starts.filter((c) => c.target.includes('-back-api-'))[1]!.atMs;
    expect(to - from).toBe(10_000);
    const dbReads = pc2
      .callsTo('inspectContainer')
      .filter((c) => c.atMs >= from && c.atMs <= to && c.target.includes('-back-db-'));
    // Ten seconds until the engine reports it healthy: a read at the start, one per 2 s
    // backstop and one on the event; polling read it 40 times.
    expect(dbReads.length).toBeLessThanOrEqual(7);
    expect(results.engineCalls!.pc2!.inspectContainer).toBe(pc2.callsTo('inspectContainer').length);
  });
});

describe('probes from a service', () => {
  it('read the container they probe from once per start, not once per probe', async () => {
    const clock = new VirtualClock();
    const fake = new FakeEngine({ node: 'local', clock, images: [IMAGE] });
    const feed = new OomCounter(fake, RUN);
    const id = await fake.createContainer(request(service('app')));
    await fake.startContainer(id);
    const r: Replica = {
      topology: 't',
      service: 'app',
      node: 'local',
      containerId: id,
      containerName: 'app',
      index: 1,
    };
    const s = suite([topology('t', [service('app')])]);
    const rt = new Runtime(
      s,
      new Map([['local', fake]]),
      [r],
      RUN,
      IMAGE,
      new Map([['local', feed]]),
    );
    const reads = () => fake.callsTo('inspectContainer').filter((c) => c.target === 'app').length;
    for (let i = 0; i < 5; i++) await rt.probe(r, ['true']);
    expect(reads()).toBe(1);
    expect(fake.callsTo('runSidecar')).toHaveLength(1);
    // A restart is a change: the next probe reads it again and joins the new namespace.
    await clock.sleep(1000);
    await rt.engine('local').stopContainer(id, 0);
    await rt.engine('local').startContainer(id);
    await rt.probe(r, ['true']);
    expect(reads()).toBe(2);
    expect(fake.callsTo('runSidecar')).toHaveLength(2);
    feed.close();
  });
});

describe('a run with nothing but bring-up and teardown', () => {
  it('does not read the running containers: the one list after bring-up is teardown’s', async () => {
    const lists = async (scenarios: ScenarioSpec[]) => {
      const clock = new VirtualClock();
      const fake = new FakeEngine({ node: 'local', clock, images: [IMAGE] });
      const s = { ...suite([topology('app', [service('web'), service('db')])]), scenarios };
      const results = await run(s, { clock, engineFactory: () => fake });
      expect(results.status).toBe('passed');
      const ops = fake.calls.map((c) => c.op);
      return ops.slice(ops.lastIndexOf('startContainer')).filter((op) => op === 'listContainers')
        .length;
    };
    const pause: ScenarioSpec = {
      name: 'pause',
      pos,
      steps: [{ index: 0, key: 'sleep', name: 'sleep', entry: { sleep: 10 }, targets: [], pos }],
    };
    expect(await lists([])).toBe(1);
    // A scenario acts on the running stack: its containers are found first.
    expect(await lists([pause])).toBe(2);
  });
});
