import { vi } from 'vitest';
import * as registry from '../../src/checks/registry.js';
import type { CheckKind } from '../../src/live/check.js';
import type { FakeClock } from './fake-clock.js';
import { suite } from './specs.js';

/**
 * Makes every check, whatever its kind, run `attempt` instead: the runner's rules (retry,
 * timeouts, repeat, concurrency) tested without a real probe.
 */
export function mockKind<A>(attempt: A, kind = 'fake'): A {
  vi.spyOn(registry, 'kindOf').mockReturnValue({
    kind,
    phase: 'live',
    shape: {},
    refs: () => [],
    attempt,
  } as unknown as CheckKind);
  return attempt;
}

/** Runner options for tests: an empty suite, the given clock, a signal that never aborts. */
export const runnerOptions = (clock: FakeClock) => ({
  suite: suite([]),
  clock,
  signal: new AbortController().signal,
});
