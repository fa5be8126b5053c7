import type { Engine } from '../engine/engine.js';

/** Docker's default when a container sets no stop timeout. */
export const ENGINE_DEFAULT_GRACE_MS = 10_000;
/** Time allowed beyond the grace period for the engine to report a stop. */
const STOP_SLACK_MS = 30_000;

/**
 * Stops a container with a grace period the caller knows (its stop_grace_period, an override,
 * or the engine's default): the call may take that long and a margin, never unbounded.
 */
export function stopWithGrace(
  engine: Engine,
  id: string,
  graceMs: number,
  signal: AbortSignal,
): Promise<void> {
  return engine.stopContainer(
    id,
    graceMs,
    AbortSignal.any([signal, AbortSignal.timeout(graceMs + STOP_SLACK_MS)]),
  );
}
