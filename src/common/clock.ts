import { setTimeout as delay } from 'node:timers/promises';

/** Time, injected so retry and backoff rules are tested in milliseconds with a fake clock. */
export interface Clock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const realClock: Clock = {
  now: () => performance.now(),
  sleep: (ms, signal) => delay(ms, undefined, { signal }),
};
