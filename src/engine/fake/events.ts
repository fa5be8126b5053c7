import type { ContainerEvent, EventOps, LabelFilter } from '../engine.js';
import { matches, type FakeState } from './model.js';

/** The fake's container events, live or for a recorded window. */
export class FakeEvents implements EventOps {
  constructor(private readonly s: FakeState) {}

  async *containerEvents(
    labels: LabelFilter,
    signal: AbortSignal,
    window?: { sinceMs: number; untilMs: number },
  ): AsyncIterable<ContainerEvent> {
    this.s.record('containerEvents', '');
    if (window) {
      for (const e of this.s.events.filter(
        (e) =>
          matches(e.labels, labels) && e.timeMs >= window.sinceMs && e.timeMs <= window.untilMs,
      ))
        yield e;
      return;
    }
    // Subscribed before the first await, so nothing emitted after this call is missed.
    const queue: ContainerEvent[] = [];
    let wake: (() => void) | undefined;
    const sub = {
      labels,
      push: (e: ContainerEvent) => {
        queue.push(e);
        wake?.();
      },
    };
    const onAbort = () => wake?.();
    this.s.subscribers.add(sub);
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      while (!signal.aborted) {
        const next = queue.shift();
        if (next) {
          yield next;
          continue;
        }
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
      }
    } finally {
      this.s.subscribers.delete(sub);
      signal.removeEventListener('abort', onAbort);
    }
  }
}
