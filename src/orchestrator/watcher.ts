import type { ContainerState, Engine, LabelFilter } from '../engine/engine.js';

/** How often state is re-read when no event arrives: a backstop for engines that drop events. */
const BACKSTOP_MS = 2000;
/**
 * With many containers waited on, each one's backstop is this much longer per container, so
 * the engine gets at most five backstop inspects a second however many wait, on top of its
 * own healthchecks (bench/bringup.mjs, N = 100, 5 s healthchecks, single runs: "all healthy"
 * 75 s after the last start with a 2 s backstop for each, 30 s with this bound).
 */
const BACKSTOP_PER_WAITER_MS = 200;

/**
 * Waits on container state changes through the engine's event stream (one subscription per
 * run and engine), re-reading state on each event for that container and, as a backstop,
 * every couple of seconds.
 */
export class ContainerWatcher {
  private readonly waiters = new Map<string, Set<() => void>>();
  private readonly controller = new AbortController();

  constructor(
    private readonly engine: Engine,
    labels: LabelFilter,
  ) {
    void this.listen(labels);
  }

  private async listen(labels: LabelFilter): Promise<void> {
    try {
      for await (const e of this.engine.containerEvents(labels, this.controller.signal))
        // Every healthcheck (the engine's and stackcheck's early probes) is an exec that
        // emits exec_create, exec_start and exec_die: none changes what inspect reads, and
        // re-reading on each would cost three inspects per container per check.
        if (!e.action.startsWith('exec_')) this.wake(e.id);
    } catch {
      // Without events the backstop still re-reads state; nothing is lost but latency.
    }
  }

  private wake(id: string): void {
    const set = this.waiters.get(id);
    if (!set) return;
    this.waiters.delete(id);
    for (const fn of set) fn();
  }

  private nextChange(id: string, signal: AbortSignal, backstopMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const set = this.waiters.get(id) ?? new Set();
      this.waiters.set(id, set);
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        set.delete(done);
        resolve();
      };
      const onAbort = () => {
        clearTimeout(timer);
        set.delete(done);
        reject(signal.reason);
      };
      const timer = setTimeout(done, backstopMs);
      set.add(done);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  /**
   * Re-reads the container's state until `decide` returns a verdict (anything but undefined),
   * or `signal` aborts (deadline, cancellation). `recheckMs` replaces the backstop for
   * verdicts that depend on elapsed time rather than on an event.
   */
  async until<T>(
    id: string,
    decide: (s: ContainerState) => T | undefined,
    signal: AbortSignal,
    recheckMs?: number,
  ): Promise<T> {
    for (;;) {
      signal.throwIfAborted();
      const backstop =
        recheckMs ?? Math.max(BACKSTOP_MS, this.waiters.size * BACKSTOP_PER_WAITER_MS);
      // Subscribe before reading, so a change between the read and the wait is not missed.
      const change = this.nextChange(id, signal, backstop);
      // When the read below throws (the signal aborted), nothing awaits `change`, which then
      // rejects too: mark it handled, or the process dies of an unhandled rejection.
      change.catch(() => undefined);
      const verdict = decide(await this.engine.inspectContainer(id, signal));
      if (verdict !== undefined) {
        this.wake(id);
        return verdict;
      }
      await change;
    }
  }

  close(): void {
    this.controller.abort();
  }
}
