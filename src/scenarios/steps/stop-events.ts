import type { Replica } from '../../checks/runtime.js';
import type { Engine, LabelFilter } from '../../engine/engine.js';

export interface StopMeasurement {
  /** The first (non-KILL) signal the engine sent. */
  signal?: string;
  /** When SIGKILL followed, how long after the first signal. */
  killedAfterMs?: number;
  /** When the process exited on its own, how long after the first signal. */
  exitedAfterMs?: number;
}

const SIGKILL = new Set(['9', 'SIGKILL', 'KILL']);
/** Engine and runner clocks may differ a little: the window reaches back this far. */
const SKEW_MS = 2000;

/**
 * Runs `stop`, then reads back from the engine's own event log what happened to the
 * container: which signal came first, and whether SIGKILL followed and when. The engine's
 * timestamps are used, so the figures do not depend on how fast this process observes them.
 */
export async function measureStop(
  engine: Engine,
  r: Replica,
  /** Labels that select the replica's service's containers (Runtime.serviceFilter). */
  labels: LabelFilter,
  signal: AbortSignal,
  stop: () => Promise<void>,
): Promise<StopMeasurement> {
  const sinceMs = Date.now() - SKEW_MS;
  await stop();
  const events: { action: string; signal?: string; timeMs: number }[] = [];
  // The stop has returned, so its events are recorded; the engine would wait for a future `until`.
  const window = { sinceMs, untilMs: Date.now() + 200 };
  for await (const e of engine.containerEvents(labels, signal, window)) {
    if (e.id === r.containerId)
      events.push({ action: e.action, signal: e.labels.signal, timeMs: e.timeMs });
  }
  // Only what followed the container's last start belongs to this stop.
  const lastStart = events.map((e) => e.action).lastIndexOf('start');
  const mine = events.slice(lastStart + 1);
  const first = mine.find((e) => e.action === 'kill' && !SIGKILL.has(e.signal ?? ''));
  if (!first) return {};
  const killed = mine.find(
    (e) => e.action === 'kill' && SIGKILL.has(e.signal ?? '') && e.timeMs >= first.timeMs,
  );
  const died = mine.find((e) => e.action === 'die');
  return {
    signal: first.signal,
    ...(killed ? { killedAfterMs: Math.round(killed.timeMs - first.timeMs) } : {}),
    ...(!killed && died ? { exitedAfterMs: Math.round(died.timeMs - first.timeMs) } : {}),
  };
}
