/**
 * published()'s container states: read once per start of a container, forgotten on anything
 * that may have changed it (a call through the tracked engine, an engine event), and never
 * kept without a live event feed or for a container that is not running.
 */
import { describe, expect, it } from 'vitest';
import type { CreateContainerRequest } from '../../src/engine/engine.js';
import { FakeEngine } from '../../src/engine/fake.js';
import { StateCache } from '../../src/live/state-cache.js';
import type { ChangeFeed } from '../../src/engine/engine.js';
import { service } from '../support/specs.js';
import { VirtualClock } from '../support/virtual-clock.js';

const IMAGE = 'stackcheck-fixture/busybox:1';

function request(name: string): CreateContainerRequest {
  return {
    name,
    image: IMAGE,
    service: service(name),
    labels: { 'io.stackcheck.run': 'r1' },
    networks: [],
    volumeNames: {},
    ephemeralPorts: true,
  };
}

class Feed implements ChangeFeed {
  live = true;
  private fns = new Set<(id: string) => void>();
  onChange(fn: (id: string) => void): () => void {
    this.fns.add(fn);
    return () => this.fns.delete(fn);
  }
  emit(id: string): void {
    for (const fn of this.fns) fn(id);
  }
}

async function setup() {
  const fake = new FakeEngine({ clock: new VirtualClock(), images: [IMAGE] });
  const id = await fake.createContainer(request('app'));
  await fake.startContainer(id);
  fake.calls.length = 0;
  const inspects = () => fake.callsTo('inspectContainer').length;
  return { fake, id, inspects, cache: new StateCache(), feed: new Feed() };
}

describe('StateCache', () => {
  it('reads a running container once, however many checks ask, at once or later', async () => {
    const { fake, id, inspects, cache, feed } = await setup();
    await Promise.all(Array.from({ length: 50 }, () => cache.read(fake, id, feed)));
    await cache.read(fake, id, feed);
    expect(inspects()).toBe(1);
  });

  it('reads again after a stop, start or kill through the tracked engine', async () => {
    const { fake, id, inspects, cache, feed } = await setup();
    const engine = cache.track(fake);
    await cache.read(fake, id, feed);
    await engine.stopContainer(id, 0);
    expect((await cache.read(fake, id, feed)).status).toBe('exited');
    await engine.startContainer(id);
    expect((await cache.read(fake, id, feed)).status).toBe('running');
    await engine.killContainer(id, 'SIGKILL');
    expect((await cache.read(fake, id, feed)).status).toBe('exited');
    expect(inspects()).toBe(4);
  });

  it('reads again after the feed reports an event for the container, and only that one', async () => {
    const { fake, id, inspects, cache, feed } = await setup();
    const other = await fake.createContainer(request('other'));
    await fake.startContainer(other);
    await cache.read(fake, id, feed);
    await cache.read(fake, other, feed);
    feed.emit(id);
    await cache.read(fake, id, feed);
    await cache.read(fake, other, feed);
    expect(inspects()).toBe(3);
  });

  it('keeps nothing without a live feed, and nothing about a container that is not running', async () => {
    const { fake, id, inspects, cache, feed } = await setup();
    feed.live = false;
    await cache.read(fake, id, feed);
    await cache.read(fake, id, undefined);
    expect(inspects()).toBe(2);
    feed.live = true;
    await fake.stopContainer(id, 0);
    await cache.read(fake, id, feed);
    await cache.read(fake, id, feed);
    expect(inspects()).toBe(4);
  });

  it('gives up on a read when the caller’s signal aborts, without failing the others', async () => {
    const { fake, id, cache, feed } = await setup();
    const ctl = new AbortController();
    ctl.abort(new Error('cancelled'));
    await expect(cache.read(fake, id, feed, ctl.signal)).rejects.toThrow('cancelled');
    expect((await cache.read(fake, id, feed)).status).toBe('running');
  });
});
