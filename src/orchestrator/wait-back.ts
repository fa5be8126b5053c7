import type { Clock } from '../common/clock.js';
import { formatDuration } from '../common/duration.js';
import type { ContainerState, Engine } from '../engine/engine.js';

export type Back = 'healthy' | 'running' | 'completed';

export interface WaitBackOptions {
  clock: Clock;
  signal: AbortSignal;
  /** How long it may take to be back: healthy, or running for `stableMs`, or completed. */
  readyTimeoutMs: number;
  /** A container without a healthcheck is back once it has run this long without exiting. */
  stableMs: number;
  /** Some dependent waits for it to exit 0 (a migration job): back means completed, not running. */
  mustComplete?: boolean;
  /** How often state is re-read while waiting. */
  pollMs?: number;
}

const DEFAULT_POLL_MS = 250;

/** The container is not back (it exited, is unhealthy, or ran out of time): the system's doing, not the engine's. */
export class NotBackError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NotBackError';
  }
}

/**
 * Re-reads a container that was just (re)started, on the clock, until it is back — healthy
 * (with a healthcheck), running for `stableMs` (without one), or exited 0 — or has failed:
 * exited otherwise, unhealthy, or not back within `readyTimeoutMs`. A restart by the
 * engine's own policy restarts the stability window.
 */
export async function waitBack(engine: Engine, id: string, opts: WaitBackOptions): Promise<Back> {
  const { clock, signal } = opts;
  const pollMs = opts.pollMs ?? DEFAULT_POLL_MS;
  const t0 = clock.now();
  let run: { startedAt?: string; since: number } | undefined;
  let last: ContainerState | undefined;
  for (;;) {
    const st = (last = await engine.inspectContainer(id, signal));
    const now = clock.now();
    if (st.status === 'exited' || st.status === 'dead') {
      if (st.exitCode === 0) return 'completed';
      throw new NotBackError(
        `exited with code ${st.exitCode}${st.oomKilled ? ' (killed: out of memory)' : ''}`,
      );
    }
    if (st.status === 'running' && !opts.mustComplete) {
      if (st.health?.status === 'healthy') return 'healthy';
      if (st.health?.status === 'unhealthy') throw new NotBackError('is unhealthy');
      if (!st.health) {
        if (!run || run.startedAt !== st.startedAt) run = { startedAt: st.startedAt, since: now };
        if (now - run.since >= opts.stableMs) return 'running';
      }
    } else if (st.status !== 'running') {
      run = undefined;
    }
    const left = opts.readyTimeoutMs - (now - t0);
    if (left <= 0) {
      const what = opts.mustComplete ? 'finished' : last.health ? 'healthy' : 'running';
      throw new NotBackError(
        `was not ${what} within ${formatDuration(opts.readyTimeoutMs)} (${last.health ? `health ${last.health.status}` : last.status})`,
      );
    }
    await clock.sleep(Math.min(pollMs, left), signal);
  }
}
