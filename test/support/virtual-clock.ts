import type { Clock } from '../../src/common/clock.js';

interface Timer {
  at: number;
  seq: number;
  fire: () => void;
}

/**
 * A clock whose time moves only when everything else is waiting: each sleep is a timer in
 * virtual time, and once the code under test has nothing left to do but wait (its promise
 * callbacks have all run), the earliest timer fires and time jumps to it. Concurrent sleeps
 * overlap as real ones do (two 3 s sleeps end at 3 s, not 6 s), so deadlines race delays
 * faithfully — and a test of minutes of orchestration runs in milliseconds.
 *
 * Only timers slept on this clock are virtual: code that waits on real I/O would see time
 * jump past it, so use it with in-memory engines (the FakeEngine), not a real one.
 */
export class VirtualClock implements Clock {
  private t: number;
  private seq = 0;
  private readonly timers: Timer[] = [];
  private pumping = false;
  /** Every sleep asked for, in order, as FakeClock records them. */
  readonly sleeps: number[] = [];

  constructor(startMs = 0) {
    this.t = startMs;
  }

  now(): number {
    return this.t;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason as Error);
    this.sleeps.push(ms);
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        this.remove(timer);
        reject(signal!.reason as Error);
      };
      const timer: Timer = {
        at: this.t + Math.max(0, ms),
        seq: this.seq++,
        fire: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.timers.push(timer);
      this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      this.schedule();
    });
  }

  /** Timers not yet fired. */
  get pending(): number {
    return this.timers.length;
  }

  private remove(timer: Timer): void {
    const i = this.timers.indexOf(timer);
    if (i >= 0) this.timers.splice(i, 1);
  }

  /** setImmediate runs after every pending promise callback: the code under test is idle then. */
  private schedule(): void {
    if (this.pumping) return;
    this.pumping = true;
    setImmediate(() => {
      this.pumping = false;
      const next = this.timers.shift();
      if (!next) return;
      this.t = Math.max(this.t, next.at);
      next.fire();
      if (this.timers.length) this.schedule();
    });
  }
}
