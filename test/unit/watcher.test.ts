/**
 * The watcher's backstop (re-reading state when no event comes) stays bounded however many
 * containers are waited on: an engine busy with a hundred healthchecks must not also get fifty
 * inspects a second from us.
 */
import { setMaxListeners } from 'node:events';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ContainerState, Engine } from '../../src/engine/engine.js';
import { ContainerWatcher } from '../../src/orchestrator/watcher.js';

/** An engine that sends no events and whose containers never change: only the backstop reads. */
function silentEngine() {
  const inspects: number[] = [];
  const engine = {
    node: 'local',
    inspectContainer: () => {
      inspects.push(Date.now());
      return Promise.resolve({ status: 'running' } as ContainerState);
    },
    containerEvents: async function* () {},
  } as unknown as Engine;
  return { engine, inspects };
}

async function waitOn(n: number, seconds: number, recheckMs?: number) {
  const { engine, inspects } = silentEngine();
  const watcher = new ContainerWatcher(engine, {});
  const controller = new AbortController();
  setMaxListeners(0, controller.signal); // as the run's own signals: one listener per wait
  const waits = Array.from({ length: n }, (_, i) =>
    watcher.until(`c${i}`, () => undefined, controller.signal, recheckMs).catch(() => undefined),
  );
  await vi.advanceTimersByTimeAsync(seconds * 1000);
  controller.abort();
  await Promise.all(waits);
  watcher.close();
  return inspects.length;
}

describe('the watcher’s backstop', () => {
  afterEach(() => vi.useRealTimers());

  it('re-reads a few containers every 2 s', async () => {
    vi.useFakeTimers();
    // 5 first reads, then one every 2 s each for 10 s.
    expect(await waitOn(5, 10)).toBe(5 + 5 * 5);
  });

  it('re-reads a hundred at most five times a second in all', async () => {
    vi.useFakeTimers();
    const reads = await waitOn(100, 60);
    expect(reads - 100).toBeLessThanOrEqual(5 * 60);
    expect(reads - 100).toBeGreaterThanOrEqual(4 * 60);
  });

  it('keeps a short recheck where a verdict depends on elapsed time', async () => {
    vi.useFakeTimers();
    expect(await waitOn(100, 1, 250)).toBe(100 + 100 * 4);
  });
});
