import type { Clock } from '../common/clock.js';
import { formatDuration } from '../common/duration.js';
import type { ChangeFeed } from '../engine/engine.js';
import type { HealthcheckSpec } from '../compose/model.js';
import type { ContainerState, Engine } from '../engine/engine.js';
import { ProbedUnhealthy, probeUntilHealthy } from './early-health.js';

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
  /** How often state is re-read while waiting, without a live `changes` feed. */
  pollMs?: number;
  /**
   * The run's feed of container changes: with it, state is re-read when the container
   * changes (and when a verdict falls due on time), not on every poll, which on an engine
   * whose healthcheck interval is long was dozens of reads per container for one start.
   */
  changes?: ChangeFeed;
  /**
   * The service's healthcheck: run by stackcheck too, as at bring-up, so the container is back
   * when it passes (before the engine's next tick), and on an engine that runs none.
   */
  healthcheck?: HealthcheckSpec;
}

const DEFAULT_POLL_MS = 250;
/** With a live feed, how often state is re-read anyway: a backstop for events the feed missed. */
const BACKSTOP_MS = 2000;

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
  const hc = opts.healthcheck;
  if (!hc || hc.disable || opts.mustComplete) return engineSaysBack(engine, id, opts);
  const done = new AbortController();
  const signal = AbortSignal.any([opts.signal, done.signal]);
  const engineSays = engineSaysBack(engine, id, { ...opts, signal });
  const probeSays = probeUntilHealthy(engine, id, hc, opts.clock, signal).then(
    () => 'healthy' as const,
    (e: unknown) => {
      throw e instanceof ProbedUnhealthy ? new NotBackError(e.message) : e;
    },
  );
  // The loser rejects with `done`'s reason once the winner is known: that is expected.
  engineSays.catch(() => undefined);
  probeSays.catch(() => undefined);
  try {
    return await Promise.race([engineSays, probeSays]);
  } finally {
    done.abort();
  }
}

/** The engine's word: its state re-read until back, failed or out of time. */
async function engineSaysBack(engine: Engine, id: string, opts: WaitBackOptions): Promise<Back> {
  const { clock, signal } = opts;
  const pollMs = opts.pollMs ?? DEFAULT_POLL_MS;
  const t0 = clock.now();
  let run: { startedAt?: string; since: number } | undefined;
  let last: ContainerState | undefined;
  for (;;) {
    // Subscribed before the read, so that a change between the read and the wait is not missed.
    const change = nextChange(opts.changes, id);
    try {
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
      // Without an event, the next verdict falls due when the stability window ends or time runs out.
      const due =
        run && !st.health && st.status === 'running' ? opts.stableMs - (now - run.since) : left;
      const wait = Math.min(left, due);
      if (change) await untilChange(change.changed, clock, Math.min(BACKSTOP_MS, wait), signal);
      else await clock.sleep(Math.min(pollMs, wait), signal);
    } finally {
      change?.off();
    }
  }
}

/** The container's next change in the feed, and the end of that subscription; none without a live feed. */
function nextChange(
  feed: ChangeFeed | undefined,
  id: string,
): { changed: Promise<void>; off: () => void } | undefined {
  if (!feed?.live) return undefined;
  let resolve!: () => void;
  const changed = new Promise<void>((r) => (resolve = r));
  const off = feed.onChange((changedId) => changedId === id && resolve());
  return { changed, off };
}

/** Waits for the change, or `ms` on the clock, whichever comes first. */
async function untilChange(
  changed: Promise<void>,
  clock: Clock,
  ms: number,
  signal: AbortSignal,
): Promise<void> {
  const timer = new AbortController();
  try {
    await Promise.race([changed, clock.sleep(ms, AbortSignal.any([signal, timer.signal]))]);
  } finally {
    timer.abort();
  }
  signal.throwIfAborted();
}
