/**
 * What bring-up does at the same time and what it still waits for: images are checked while
 * networks are made, stale runs are swept while this run creates, and only the starts wait for
 * that sweep (a stale container may hold a host port this run publishes). In-memory engine.
 */
import { describe, expect, it } from 'vitest';
import type { ServiceSpec } from '../../src/compose/model.js';
import { EngineError } from '../../src/engine/engine.js';
import { FakeEngine } from '../../src/engine/fake.js';
import { LABEL } from '../../src/common/labels.js';
import { run } from '../../src/run.js';
import { service, suite, topology } from '../support/specs.js';
import { VirtualClock } from '../support/virtual-clock.js';

const pos = { file: 'test.yml', line: 1, column: 1 };
const IMAGE = 'stackcheck-fixture/busybox:1';
const port8080: ServiceSpec['ports'] = [{ target: 8080, published: 8080, protocol: 'tcp', pos }];

function web(over: Partial<ServiceSpec> = {}) {
  return { ...topology('t', [service('web', { ports: port8080, ...over })]), stableMs: 0 };
}

describe('bring-up alongside the sweep of stale runs', () => {
  it('starts only once a stale run holding the same host port is gone, and creates meanwhile', async () => {
    const clock = new VirtualClock();
    const fake = new FakeEngine({ clock, images: [IMAGE] });
    // A kept run whose lifetime is over: stale for the next run, and it holds host port 8080.
    const dead = await run(suite([web()]), {
      engineFactory: () => fake,
      clock,
      keep: true,
      lifetimeMs: 1,
    });
    expect(dead.topologies[0]!.status).toBe('passed');
    const held = fake.containers({ [LABEL.run]: dead.runId });
    expect(held.map((c) => c.status)).toEqual(['running']);
    await new Promise((r) => setTimeout(r, 5)); // past its deadline on the wall clock
    fake.calls.length = 0;

    const next = await run(suite([web()]), { engineFactory: () => fake, clock });

    expect(next.topologies[0]!.status).toBe('passed');
    expect(fake.containers({ [LABEL.run]: dead.runId })).toEqual([]);
    const ops = fake.calls.map((c) => `${c.op} ${c.target.includes(dead.runId) ? 'stale' : 'new'}`);
    expect(ops.indexOf('removeContainer stale')).toBeGreaterThanOrEqual(0);
    expect(ops.indexOf('startContainer new')).toBeGreaterThan(ops.indexOf('removeContainer stale'));
    expect(ops.indexOf('createContainer new')).toBeLessThan(ops.indexOf('removeContainer stale'));
    expect(fake.calls.filter((c) => c.error)).toEqual([]);
  });

  it('a sweep that cannot list is a warning; the run goes on', async () => {
    const clock = new VirtualClock();
    const fake = new FakeEngine({ clock, images: [IMAGE] });
    const list = fake.listVolumes.bind(fake);
    let failed = false;
    fake.listVolumes = (labels) => {
      // The sweep lists first; teardown's own listing later must work.
      if (!failed)
        return ((failed = true), Promise.reject(new EngineError(500, 'volume plugin down')));
      return list(labels);
    };
    const notes: string[] = [];
    const r = await run(suite([web()]), {
      engineFactory: () => fake,
      clock,
      progress: { emit: (e) => e.kind === 'note' && notes.push(e.text) },
    });
    expect(r.topologies[0]!.status).toBe('passed');
    expect(notes.filter((n) => n.startsWith('could not look'))).toEqual([
      'could not look for stale runs on node local: volume plugin down',
    ]);
  });
});

describe('networks made while images are checked', () => {
  it('a network the engine refuses fails the topology with its reason; every service is cancelled and nothing is left', async () => {
    const clock = new VirtualClock();
    const fake = new FakeEngine({ clock, images: [IMAGE] });
    fake.createNetwork = () =>
      Promise.reject(
        new EngineError(500, 'could not find an available, non-overlapping IPv4 address pool'),
      );
    // The project's default network, as compose makes one.
    const t = { ...topology('t', [service('db'), service('api')]), stableMs: 0 };
    const r = await run(suite([t]), { engineFactory: () => fake, clock });
    const top = r.topologies[0]!;
    expect(top.status).toBe('failed');
    expect(top.failure?.message).toContain('non-overlapping IPv4 address pool');
    expect(top.services.map((s) => s.status)).toEqual(['cancelled', 'cancelled']);
    expect(fake.callsTo('createContainer')).toEqual([]);
    expect(fake.containers()).toEqual([]);
  });
});

describe('start requested, started, ready', () => {
  it('a dependent is asked to start once its dependency is healthy; the engine then starts it', async () => {
    const clock = new VirtualClock();
    const fake = new FakeEngine({ clock, images: [IMAGE] }).setHealth('db', {
      healthyAfterMs: 400,
    });
    const healthcheck: ServiceSpec['healthcheck'] = {
      disable: false,
      test: ['CMD', 'true'],
      intervalMs: 100,
      pos,
    };
    const t = {
      ...topology('t', [
        service('db', { healthcheck }),
        service('api', {
          dependsOn: { db: { condition: 'service_healthy', required: true, pos } },
        }),
      ]),
      stableMs: 0,
    };
    const r = await run(suite([t]), { engineFactory: () => fake, clock });
    const [db, api] = r.topologies[0]!.services;
    expect(db!.startingMs).toBeLessThanOrEqual(db!.startedMs!);
    expect(api!.startingMs).toBeGreaterThanOrEqual(db!.healthyMs!);
    expect(api!.startingMs).toBeLessThanOrEqual(api!.startedMs!);
  });
});
