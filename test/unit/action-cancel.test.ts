import { describe, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/engine.js';
import { ContainerWatcher } from '../../src/orchestrator/watcher.js';

// A cancelled job (SIGINT) or the action's `timeout` aborts the run while bring-up waits on a
// container. That must end in an orderly teardown, never in an unhandled rejection that kills
// the process before it reports and removes what it created.
describe('cancelling while a container is being watched', () => {
  it('rejects the wait with the abort reason, and leaves no unhandled rejection', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown) => unhandled.push(e);
    process.on('unhandledRejection', onUnhandled);
    try {
      const engine = {
        node: 'local',
        // An inspect in flight when the abort comes: it fails with the abort, as dockerode does.
        inspectContainer: (_id: string, signal?: AbortSignal) =>
          new Promise((_resolve, reject) =>
            signal!.addEventListener('abort', () => reject(signal!.reason), { once: true }),
          ),
        containerEvents: async function* () {},
      } as unknown as Engine;
      const watcher = new ContainerWatcher(engine, {});
      const controller = new AbortController();
      const wait = watcher.until('c1', () => undefined, controller.signal);
      setTimeout(() => controller.abort('SIGINT'), 10);
      await expect(wait).rejects.toBe('SIGINT');
      watcher.close();
      await new Promise((r) => setTimeout(r, 50));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
