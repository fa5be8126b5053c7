import { describe, expect, it } from 'vitest';
import { OomCounter } from '../../src/live/oom-counter.js';
import type { ContainerEvent, Engine } from '../../src/engine/engine.js';

const event = (id: string, action: string): ContainerEvent => ({
  id,
  action,
  labels: {},
  timeMs: 0,
});

/** An engine whose event stream yields `events`, then fails with `error` or stays open. */
function streaming(events: ContainerEvent[], error?: Error): Engine {
  return {
    async *containerEvents(_labels: unknown, signal: AbortSignal) {
      yield* events;
      if (error) throw error;
      await new Promise((resolve) => signal.addEventListener('abort', resolve));
    },
  } as unknown as Engine;
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('OomCounter', () => {
  it("counts each container's runs that oom events came in, and nothing else", async () => {
    const counter = new OomCounter(
      streaming([
        event('a', 'start'),
        event('b', 'start'),
        event('a', 'oom'),
        event('a', 'die'),
        event('b', 'oom'),
        event('a', 'start'),
        event('a', 'oom'),
      ]),
      {},
    );
    await settle();
    expect([counter.count('a'), counter.count('b'), counter.count('c')]).toEqual([2, 1, 0]);
    counter.close();
  });

  it("counts one kill of a run however many oom events the engine sends for it (Docker 28's burst)", async () => {
    // As Docker 28.5 sent them for one kill of a container's main process, with a healthcheck
    // exec running: 5 oom events within 300 ms, then die, and the restart policy's start.
    const oneKill = ['start', 'oom', 'oom', 'oom', 'oom', 'oom', 'die', 'start'];
    const counter = new OomCounter(streaming(oneKill.map((a) => event('a', a))), {});
    await settle();
    expect(counter.count('a')).toBe(1);
    counter.close();
  });

  it('counts nothing it could not see: a broken stream makes every count unknown', async () => {
    const counter = new OomCounter(streaming([event('a', 'oom')], new Error('EOF')), {});
    await settle();
    expect(counter.count('a')).toBeUndefined();
    counter.close();
  });
});
