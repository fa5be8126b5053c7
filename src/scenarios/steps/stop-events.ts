import type { Replica } from '../../model/refs.js';
import type { Engine, LabelFilter } from '../../engine/engine.js';

export interface StopMeasurement {
  /** The first (non-KILL) signal the engine sent. */
  signal?: string;
  /** When SIGKILL followed, how long after the first signal. */
  killedAfterMs?: number;
  /** When the process exited on its own, how long after the first signal. */
  exitedAfterMs?: number;
  /**
   * `request`: the engine reported no signal (Podman emits no `kill` event for a stop), so the
   * figures run from stackcheck's stop request to the exit, and the exit code (137) says
   * whether SIGKILL ended it.
   */
  from?: 'request';
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
  const requestedAtMs = Date.now();
  const sinceMs = requestedAtMs - SKEW_MS;
  await stop();
  const events: { action: string; signal?: string; exitCode?: string; timeMs: number }[] = [];
  // The stop has returned, so its events are recorded; the engine would wait for a future `until`.
  const window = { sinceMs, untilMs: Date.now() + 200 };
  for await (const e of engine.containerEvents(labels, signal, window)) {
    if (e.id === r.containerId)
      events.push({
        action: e.action,
        signal: e.labels.signal,
        exitCode: e.labels.exitCode,
        timeMs: e.timeMs,
      });
  }
  // Only what followed the container's last start belongs to this stop.
  const lastStart = events.map((e) => e.action).lastIndexOf('start');
  const mine = events.slice(lastStart + 1);
  const first = mine.find((e) => e.action === 'kill' && !SIGKILL.has(e.signal ?? ''));
  if (!first) {
    const exit = mine.find((e) => e.action === 'die');
    if (!exit) return {};
    const afterMs = Math.max(0, Math.round(exit.timeMs - requestedAtMs));
    return exit.exitCode === '137'
      ? { killedAfterMs: afterMs, from: 'request' }
      : { exitedAfterMs: afterMs, from: 'request' };
  }
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
