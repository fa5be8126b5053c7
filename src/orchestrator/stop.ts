import type { Engine } from '../engine/engine.js';
import { timeoutSignal, withTimeout } from '../common/timeout.js';

/** Docker's default when a container sets no stop timeout. */
export const ENGINE_DEFAULT_GRACE_MS = 10_000;
/** Time allowed beyond the grace period for the engine to report a stop. */
const STOP_SLACK_MS = 30_000;

/**
 * Stops a container with the grace period the caller knows (its stop_grace_period or an
 * override; none: the container's own stop timeout, which the engine defaults to 10 s): the
 * call may take that long and a margin, never unbounded.
 */
export function stopWithGrace(
  engine: Engine,
  id: string,
  graceMs: number | undefined,
  signal?: AbortSignal,
): Promise<void> {
  const limitMs = (graceMs ?? ENGINE_DEFAULT_GRACE_MS) + STOP_SLACK_MS;
  return engine.stopContainer(
    id,
    graceMs,
    signal ? withTimeout(signal, limitMs) : timeoutSignal(limitMs),
  );
}
