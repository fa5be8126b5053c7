import type { Engine, LabelFilter } from '../engine/engine.js';

/**
 * Counts the engine's `oom` events per container for as long as a run lasts. It listens live
 * rather than looking back: the engine replays only its most recent events (256 in Docker),
 * which healthchecks alone fill within seconds.
 */
export class OomCounter {
  private readonly counts = new Map<string, number>();
  private readonly controller = new AbortController();
  private failed = false;

  constructor(engine: Engine, labels: LabelFilter) {
    void this.listen(engine, labels);
  }

  private async listen(engine: Engine, labels: LabelFilter): Promise<void> {
    try {
      for await (const e of engine.containerEvents(labels, this.controller.signal))
        if (e.action === 'oom') this.counts.set(e.id, (this.counts.get(e.id) ?? 0) + 1);
    } catch {
      this.failed = true;
    }
  }

  /** The kills counted for a container; undefined when the event stream broke (none can be trusted). */
  count(containerId: string): number | undefined {
    return this.failed ? undefined : (this.counts.get(containerId) ?? 0);
  }

  close(): void {
    this.controller.abort();
  }
}
