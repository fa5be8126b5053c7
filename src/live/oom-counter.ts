import type { ChangeFeed, Engine, LabelFilter } from '../engine/engine.js';

/**
 * Counts out-of-memory kills per container for as long as a run lasts, from the engine's `oom`
 * events: at most one for each run of the container (from one `start` to the next). An `oom`
 * event is the cgroup reaching its limit, not a kill: while a killed process is still releasing
 * its memory, anything else the container allocates (a healthcheck's exec) reaches it again, and
 * how many of those notices come out as events depends on the engine's timing (Docker 28 sent 5
 * and 12 for one kill of a container's main process, 20.10 one). A run is either killed for lack of
 * memory or not; two kills of child processes in the same run count once.
 * It listens live rather than looking back: the engine replays only its most recent events (256
 * in Docker), which healthchecks alone fill within seconds. The same subscription tells the
 * checks' state cache (state-cache.ts) of every other change to a container.
 */
export class OomCounter implements ChangeFeed {
  private readonly counts = new Map<string, number>();
  /** Containers whose current run has already been counted as killed. */
  private readonly counted = new Set<string>();
  private readonly controller = new AbortController();
  private readonly listeners = new Set<(containerId: string) => void>();
  private failed = false;
  /** The subscription ended (closed, broken): changes are no longer seen. */
  private ended = false;

  /**
   * @param uncounted why this engine's kills cannot be counted (its events report none): the
   *   checks that ask for a count are then skipped with it, never judged on a count of 0.
   */
  constructor(
    engine: Engine,
    labels: LabelFilter,
    readonly uncounted?: string,
  ) {
    void this.listen(engine, labels);
  }

  private async listen(engine: Engine, labels: LabelFilter): Promise<void> {
    try {
      for await (const e of engine.containerEvents(labels, this.controller.signal)) {
        if (e.action === 'start') this.counted.delete(e.id);
        else if (e.action === 'oom' && !this.counted.has(e.id)) {
          this.counted.add(e.id);
          this.counts.set(e.id, (this.counts.get(e.id) ?? 0) + 1);
        }
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
