import { describe, expect, it } from 'vitest';
import { OomCounter } from '../../src/checks/oom-counter.js';
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
  it("counts each container's oom events, and nothing else", async () => {
    const counter = new OomCounter(
      streaming([event('a', 'oom'), event('a', 'die'), event('b', 'oom'), event('a', 'oom')]),
      {},
    );
    await settle();
    expect([counter.count('a'), counter.count('b'), counter.count('c')]).toEqual([2, 1, 0]);
    counter.close();
  });

  it('counts nothing it could not see: a broken stream makes every count unknown', async () => {
    const counter = new OomCounter(streaming([event('a', 'oom')], new Error('EOF')), {});
    await settle();
    expect(counter.count('a')).toBeUndefined();
    counter.close();
  });
});
