import pLimit, { type LimitFunction } from 'p-limit';
import type { Clock } from '../common/clock.js';
import type { HealthcheckSpec } from '../compose/model.js';
import type { Engine } from '../engine/engine.js';
import { healthcheckArgv } from '../engine/health-test.js';
import { timeoutSignal } from '../common/timeout.js';

/** Docker's healthcheck timeout when the service sets none. */
const DEFAULT_TIMEOUT_MS = 30_000;
/** The wait after the first failed probe; each later wait is half as long again. */
const FIRST_RETRY_MS = 100;
/** Docker's healthcheck interval and retries when the service sets none. */
const DEFAULT_INTERVAL_MS = 30_000;
const DEFAULT_RETRIES = 3;
/** The failed runs a ProbedUnhealthy carries, as diagnose shows the engine's. */
const KEEP_FAILURES = 3;
/** The longest wait between probes unless the service's start_interval (or interval) is shorter. */
const MAX_WAIT_MS = 1000;
/**
 * Probes running at once on one engine, once its starts are done (`whileStarting`). Each is an
 * exec (a process forked in the container): a hundred at once would queue the engine's later
 * work behind them. 20 against 4, on Docker 28.5 (bench/README.md): 20 services all healthy
 * 2.89 s against 3.32 s.
 */
const PER_ENGINE = 20;

/**
 * Runs a service's own healthcheck command in its container, from its start until it passes,
 * as compose's `start_interval` makes newer engines do: the engine's exec, the container's
 * user, working directory and environment (exec's defaults, as the engine's own healthcheck
 * uses). Resolves when the command exits 0; a failure only means "not yet": failures are the
 * engine's to count towards `retries`, unless the engine runs no healthcheck at all (Podman
 * without systemd: its healthchecks run from systemd timers). Then, once the engine would have
 * called the container unhealthy (start_period, then retries + 1 intervals), with every run of
 * the command failed and not one in the engine's health log, it rejects with ProbedUnhealthy.
 * Never resolves where there is no command to run (the image's own healthcheck, `NONE`): the
 * engine's status decides there. Rejects with the signal's reason when it aborts.
 */
export async function probeUntilHealthy(
  engine: Engine,
  id: string,
  hc: Extract<HealthcheckSpec, { disable: false }>,
  clock: Clock,
  signal: AbortSignal,
): Promise<void> {
  const cmd = healthcheckArgv(hc.test);
  const cap = Math.min(
    MAX_WAIT_MS,
    hc.startIntervalMs ?? MAX_WAIT_MS,
    hc.intervalMs ?? MAX_WAIT_MS,
  );
  const timeoutMs = hc.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const engineDecides = () =>
    new Promise<never>((_, reject) => onAbort(signal, () => reject(signal.reason)));
  if (!cmd) return engineDecides();
  const startedAt = clock.now();
  const intervalMs = hc.intervalMs ?? DEFAULT_INTERVAL_MS;
  const engineVerdictBy =
    (hc.startPeriodMs ?? 0) + ((hc.retries ?? DEFAULT_RETRIES) + 1) * intervalMs;
  const failures: FailedRun[] = [];
  let runs = 0;
  for (let wait = 0; ; wait = wait ? Math.min(cap, wait * 1.5) : Math.min(cap, FIRST_RETRY_MS)) {
    // The signal's own reason, not the sleep's AbortError, must reach the caller (a deadline
    // reads as a TimeoutError there).
    if (wait) await clock.sleep(wait, signal).catch(() => undefined);
    signal.throwIfAborted();
    await startsOn(engine).settled(signal);
    const run = await slots(engine)(async (): Promise<HealthcheckRun> => {
      // Queued behind other probes while this one's wait ended: nothing to run for.
      if (signal.aborted) return { verdict: 'failed' };
      return runHealthcheck(engine, id, cmd, timeoutMs, signal);
    });
    signal.throwIfAborted();
    if (run.verdict === 'passed') return;
    // An exec that outlives the healthcheck's timeout keeps running in the container: on an
    // engine that slow, more probes only add to its load. Its own healthcheck decides.
    if (run.verdict === 'timeout') return engineDecides();
    runs++;
    if (run.exitCode !== undefined)
      failures.splice(0, failures.length - KEEP_FAILURES + 1, {
        exitCode: run.exitCode,
        output: run.output ?? '',
      });
    const elapsed = clock.now() - startedAt;
    if (elapsed >= engineVerdictBy && (await engineRanNone(engine, id, signal)))
      throw new ProbedUnhealthy(runs, elapsed, failures);
  }
}

/** A run of the healthcheck command that did not pass. */
export interface FailedRun {
  exitCode: number;
  output: string;
}

/**
 * A container whose engine runs no healthcheck, while every run of its healthcheck command by
 * stackcheck failed for as long as the engine would have taken to call it unhealthy.
 */
export class ProbedUnhealthy extends Error {
  constructor(
    readonly runs: number,
    readonly elapsedMs: number,
    /** The last few failed runs, oldest first. */
    readonly failures: FailedRun[],
  ) {
    super('is unhealthy');
    this.name = 'ProbedUnhealthy';
  }
}

/** Whether the engine's health log of the container is still empty (or it has no healthcheck state). */
async function engineRanNone(engine: Engine, id: string, signal: AbortSignal): Promise<boolean> {
  const s = await engine.inspectContainer(id, signal).catch(() => undefined);
  return s !== undefined && (s.health?.log.length ?? 0) === 0;
}

interface HealthcheckRun {
  verdict: 'passed' | 'failed' | 'timeout';
  exitCode?: number;
  output?: string;
}

/**
 * Runs a healthcheck command once, as the engine would. Not running yet, restarting, an exec
 * refused: `failed`, not healthy (yet), without an exit code. `timeout`: no answer within the
 * healthcheck's timeout.
 */
async function runHealthcheck(
  engine: Engine,
  id: string,
  cmd: string[],
  timeoutMs: number,
  signal: AbortSignal,
): Promise<HealthcheckRun> {
  const timeout = timeoutSignal(timeoutMs);
  try {
    const r = await engine.exec(id, { cmd }, AbortSignal.any([signal, timeout]));
    return r.exitCode === 0
      ? { verdict: 'passed' }
      : { verdict: 'failed', exitCode: r.exitCode, output: r.stdout + r.stderr };
  } catch {
    return { verdict: timeout.aborted && !signal.aborted ? 'timeout' : 'failed' };
  }
}

/**
 * Whether a container whose engine still says `starting` is healthy by its own healthcheck:
 * stackcheck runs the service's test once (bring-up counts a service healthy the same way).
 * False where there is no command to run (the image's own healthcheck).
 */
export function healthyByProbe(
  engine: Engine,
  id: string,
  hc: HealthcheckSpec | undefined,
  signal: AbortSignal,
): Promise<boolean> {
  if (!hc || hc.disable) return Promise.resolve(false);
  const cmd = healthcheckArgv(hc.test);
  if (!cmd) return Promise.resolve(false);
  return runHealthcheck(engine, id, cmd, hc.timeoutMs ?? DEFAULT_TIMEOUT_MS, signal).then(
    (r) => r.verdict === 'passed',
  );
}

function onAbort(signal: AbortSignal, fn: () => void): void {
  if (signal.aborted) fn();
  else signal.addEventListener('abort', fn, { once: true });
}

/**
 * Runs a bring-up's start on an engine; probes on that engine wait until no start is under
 * way. An exec slows every start the engine is making: on Docker 28.5, one exec into each of
 * 20 containers as it started made the last start end 0.7 to 0.8 s later
 * (bench/starts-with-execs.mjs), and with this wait 100 services were all healthy 3.9 s
 * sooner. A bring-up is done when its last service is healthy, so an early service's probe
 * run meanwhile gains nothing and delays the rest.
 */
export function whileStarting<T>(engine: Engine, start: () => Promise<T>): Promise<T> {
  return startsOn(engine).during(start);
}

class StartsUnderWay {
  private count = 0;
  private waiters: (() => void)[] = [];

  async during<T>(start: () => Promise<T>): Promise<T> {
    this.count++;
    try {
      return await start();
    } finally {
      if (--this.count === 0) for (const resume of this.waiters.splice(0)) resume();
    }
  }

  /** Resolves when no start is under way; rejects with the signal's reason when it aborts. */
  settled(signal: AbortSignal): Promise<void> {
    if (this.count === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const resume = () => {
        signal.removeEventListener('abort', aborted);
        resolve();
      };
      const aborted = () => {
        this.waiters = this.waiters.filter((w) => w !== resume);
        reject(signal.reason);
      };
      this.waiters.push(resume);
      onAbort(signal, aborted);
    });
  }
}

const starting = new WeakMap<Engine, StartsUnderWay>();

function startsOn(engine: Engine): StartsUnderWay {
  let s = starting.get(engine);
  if (!s) starting.set(engine, (s = new StartsUnderWay()));
  return s;
}

const byEngine = new WeakMap<Engine, LimitFunction>();

function slots(engine: Engine): LimitFunction {
  let s = byEngine.get(engine);
  if (!s) byEngine.set(engine, (s = pLimit(PER_ENGINE)));
  return s;
}
