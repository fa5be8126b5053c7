/** A signal that aborts when `parent` does or after `ms`, whichever comes first. */
import { withTimeout } from './timeout.js';
export function deadline(parent: AbortSignal, ms: number): AbortSignal {
  return withTimeout(parent, ms);
}

/** Engine calls that should answer quickly (inspect, create, list). */
export const QUICK_CALL_MS = 30_000;
/** Builds and pulls. */
export const IMAGE_CALL_MS = 15 * 60_000;

export function isAbort(e: unknown): boolean {
  return e instanceof Error && (e.name === 'AbortError' || e.name === 'TimeoutError');
}

/**
 * Engine operations still in flight. Teardown waits for them to settle before it lists what
 * exists, so a container whose create was in flight at cancel time is found and removed too.
 */
export class InFlight {
  private readonly pending = new Set<Promise<unknown>>();

  track<T>(p: Promise<T>): Promise<T> {
    this.pending.add(p);
    const forget = () => this.pending.delete(p);
    p.then(forget, forget);
    return p;
  }

  async settle(timeoutMs: number): Promise<void> {
    const all = Promise.allSettled([...this.pending]);
    await Promise.race([all, new Promise((r) => setTimeout(r, timeoutMs).unref())]);
  }
}
