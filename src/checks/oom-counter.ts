import type { ChangeFeed } from './state-cache.js';
import type { Engine, LabelFilter } from '../engine/engine.js';

/**
 * Counts the engine's `oom` events per container for as long as a run lasts. It listens live
 * rather than looking back: the engine replays only its most recent events (256 in Docker),
 * which healthchecks alone fill within seconds. The same subscription tells the checks' state
 * cache (state-cache.ts) of every other change to a container.
 */
export class OomCounter implements ChangeFeed {
  private readonly counts = new Map<string, number>();
  private readonly controller = new AbortController();
  private readonly listeners = new Set<(containerId: string) => void>();
  private failed = false;
  /** The subscription ended (closed, broken): changes are no longer seen. */
  private ended = false;

  constructor(engine: Engine, labels: LabelFilter) {
    void this.listen(engine, labels);
  }

  private async listen(engine: Engine, labels: LabelFilter): Promise<void> {
    try {
      for await (const e of engine.containerEvents(labels, this.controller.signal)) {
        if (e.action === 'oom') this.counts.set(e.id, (this.counts.get(e.id) ?? 0) + 1);
        // Healthchecks' execs change nothing a check reads; everything else may.
        if (!e.action.startsWith('exec_')) for (const fn of this.listeners) fn(e.id);
      }
    } catch {
      this.failed = true;
    } finally {
      this.ended = true;
    }
  }

  /** The kills counted for a container; undefined when the event stream broke (none can be trusted). */
  count(containerId: string): number | undefined {
    return this.failed ? undefined : (this.counts.get(containerId) ?? 0);
  }

  get live(): boolean {
    return !this.ended;
  }

  onChange(fn: (containerId: string) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  close(): void {
    this.controller.abort();
  }
}
