import { durationsAsText } from '../common/duration.js';
import { setMaxListeners } from 'node:events';
import pLimit from 'p-limit';
import type { Clock } from '../common/clock.js';
import { errorMessage } from '../common/errors.js';
import type { Suite } from '../model/suite.js';
import type { Progress } from '../orchestrator/progress.js';
import type { CheckResult } from '../model/results.js';
import { kindOf } from './registry.js';
import { repeatPlan, runRepeated } from './repeat.js';
import { NotRunning, type Runtime } from '../live/runtime.js';
import type { Outcome } from '../model/check.js';
import type { CheckSpec } from '../model/suite.js';
import { timeoutSignal, withTimeout } from '../common/timeout.js';

export const DEFAULT_CONCURRENCY = 16;

export interface RunChecksOptions {
  suite: Suite;
  runtime?: Runtime;
  clock: Clock;
  signal: AbortSignal;
  concurrency?: number;
  progress?: Progress;
  /** When the run started, on `clock`: results say when each check started from there. */
  runStart?: number;
}

/**
 * Runs checks: the parallel ones under a concurrency limit, then the `serial` ones one at a
 * time in manifest order. Results come back in manifest order.
 */
export async function runChecks(
  checks: CheckSpec[],
  opts: RunChecksOptions,
): Promise<CheckResult[]> {
  const limit = pLimit(opts.concurrency ?? DEFAULT_CONCURRENCY);
  const results = new Map<number, CheckResult>();
  const parallel = checks.filter((c) => !c.serial);
  await Promise.all(
    parallel.map((c) => limit(async () => results.set(c.index, await runCheck(c, opts)))),
  );
  for (const c of checks.filter((x) => x.serial)) results.set(c.index, await runCheck(c, opts));
  return checks.map((c) => results.get(c.index)!);
}

/**
 * One check to its verdict: attempts, each under the check's time limit; a failed attempt is
 * retried while `retry.timeout` allows, waiting `interval` (times `backoff` after each);
 * `skipped` and `error` are final at once. A pass after failures is marked flaky.
 */
export async function runCheck(check: CheckSpec, opts: RunChecksOptions): Promise<CheckResult> {
  const { clock } = opts;
  const kind = kindOf(check.kind);
  const start = clock.now();
  let attempts = 0;
  let interval = check.retry?.intervalMs ?? 0;
  const repeat = check.entry.repeat === undefined ? undefined : repeatPlan(check.entry.repeat);
  let outcome: Outcome;
  for (;;) {
    attempts++;
    // With `repeat`, one attempt is the whole series, judged as one.
    outcome = repeat
      ? await runRepeated(repeat, check.kind, () => attempt(check, opts, kind), clock, opts.signal)
      : await attempt(check, opts, kind);
    const elapsed = clock.now() - start;
    if (outcome.status !== 'failed' || !check.retry || opts.signal.aborted) break;
    if (elapsed + interval >= check.retry.timeoutMs) break;
    try {
      await clock.sleep(interval, opts.signal);
    } catch {
      break;
    }
    interval *= check.retry.backoff;
  }
  const result: CheckResult = {
    name: check.name,
    kind: check.kind,
    status: outcome.status,
    ...(opts.runStart !== undefined && { startedMs: Math.round(start - opts.runStart) }),
    durationMs: Math.round(clock.now() - start),
    message: attempts > 1 ? `${outcome.message} (after ${attempts} attempts)` : outcome.message,
    source: check.pos,
    targets: check.targets,
    ...(check.links?.length && { links: check.links }),
    attempts,
    flaky: outcome.status === 'passed' && attempts > 1,
    evidence: durationsAsText(outcome.evidence) as Record<string, unknown>,
  };
  opts.progress?.emit({
    kind: 'check',
    name: check.name,
    status: result.status,
    durationMs: result.durationMs,
  });
  return result;
}

/** How long a kind's set-up (kind.prepare) may take before the attempt goes on regardless. */
const PREPARE_LIMIT_MS = 60_000;

async function attempt(
  check: CheckSpec,
  opts: RunChecksOptions,
  kind: ReturnType<typeof kindOf>,
): Promise<Outcome> {
  if (kind.prepare && opts.runtime) {
    const ctx = { suite: opts.suite, runtime: opts.runtime, clock: opts.clock };
    const limit = withTimeout(opts.signal, PREPARE_LIMIT_MS);
    await kind.prepare(check.entry as never, { ...ctx, signal: limit }).catch(() => undefined);
  }
  const timeout = timeoutSignal(check.timeoutMs);
  const signal = AbortSignal.any([opts.signal, timeout]);
  // Every engine call and socket of the attempt listens on it: a kind probes all replicas of
  // a service, or a reach matrix's cells, at once. As many as the check names; not a leak.
  setMaxListeners(0, signal);
  try {
    return await kind.attempt(check.entry as never, {
      suite: opts.suite,
      runtime: opts.runtime,
      clock: opts.clock,
      signal,
    });
  } catch (e) {
    if (timeout.aborted && !opts.signal.aborted) {
      return { status: 'failed', message: `no answer within ${check.entry.timeout}`, evidence: {} };
    }
    if (opts.signal.aborted) return { status: 'error', message: 'cancelled', evidence: {} };
    if (e instanceof NotRunning) return { status: 'failed', message: e.message, evidence: {} };
    return { status: 'error', message: errorMessage(e), evidence: {} };
  }
}
