import type { Clock } from './clock.js';
import { formatDuration } from './duration.js';
import { errorMessage } from './errors.js';

/**
 * How often to try, and how long to wait in between: attempt n+1 follows attempt n after
 * `backoffMs[n-1]`, so there are `1 + backoffMs.length` attempts in all.
 */
export interface RetryPolicy {
  backoffMs: readonly number[];
}

/** Image pulls (and the network part of builds): 3 attempts, 5 s then 15 s apart. */
export const DEFAULT_PULL_RETRY: RetryPolicy = { backoffMs: [5_000, 15_000] };

/**
 * The policy `attempts` and `backoff` describe: without `attempts`, one more than there are
 * waits; with more attempts than waits, the last wait repeats; with fewer, the list is cut.
 */
export function retryPolicy(backoffMs: readonly number[], attempts?: number): RetryPolicy {
  const n = Math.max(1, attempts ?? backoffMs.length + 1) - 1;
  const last = backoffMs.at(-1) ?? 0;
  return { backoffMs: Array.from({ length: n }, (_, i) => backoffMs[i] ?? last) };
}

export interface AttemptFailure {
  /** 1-based. */
  attempt: number;
  error: unknown;
  message: string;
  /** The clock's time when the attempt failed. */
  atMs: number;
}

/** Every attempt failed (or one failed in a way not worth retrying): the message names each failure. */
export class RetryError extends Error {
  constructor(
    readonly failures: AttemptFailure[],
    /** The waits between the attempts, in order. */
    readonly waitsMs: number[],
    /** Why it stopped before using every attempt, when it did. */
    readonly gaveUp?: string,
  ) {
    super(describeFailures(failures, waitsMs, gaveUp));
    this.name = 'RetryError';
  }

  get last(): AttemptFailure {
    return this.failures.at(-1)!;
  }
}

function describeFailures(failures: AttemptFailure[], waitsMs: number[], gaveUp?: string): string {
  const notes = [
    ...(waitsMs.length ? [`${waitsMs.map(formatDuration).join(', ')} apart`] : []),
    // A single failure not worth retrying reads as what it is; the note matters after retries.
    ...(gaveUp && failures.length > 1 ? [gaveUp] : []),
  ];
  const head = `failed${failures.length > 1 ? ` ${failures.length} times` : ''}${notes.length ? ` (${notes.join('; ')})` : ''}`;
  const each =
    failures.length === 1
      ? failures[0]!.message
      : failures.map((f) => `attempt ${f.attempt}: ${f.message}`).join('; ');
  return `${head}: ${each}`;
}

export interface RetryOptions {
  clock: Clock;
  /** Cancellation: an abort during an attempt or a wait ends the retries with the abort's reason. */
  signal?: AbortSignal;
  /** Whether a failure is worth another attempt; default: every failure. */
  retryable?: (e: unknown) => boolean;
  /** How a failure reads in the final error; default: its message. */
  describe?: (e: unknown) => string;
  /** Told before each wait: which attempt failed, why, and how long until the next. */
  onRetry?: (failure: AttemptFailure, waitMs: number, attemptsLeft: number) => void;
}

/**
 * Runs `fn` until it succeeds or the policy's attempts are spent, sleeping on `clock` between
 * attempts. Throws a RetryError naming every attempt's failure, or, on cancellation, the
 * abort's reason as it is (so callers tell a cancelled run from a failed one).
 */
export async function retry<T>(
  fn: (attempt: number, signal?: AbortSignal) => Promise<T>,
  policy: RetryPolicy,
  opts: RetryOptions,
): Promise<T> {
  const { clock, signal } = opts;
  const describe = opts.describe ?? errorMessage;
  const failures: AttemptFailure[] = [];
  const waits: number[] = [];
  const attempts = policy.backoffMs.length + 1;
  for (let attempt = 1; ; attempt++) {
    signal?.throwIfAborted();
    try {
      return await fn(attempt, signal);
    } catch (e) {
      if (signal?.aborted) throw signal.reason;
      const failure = { attempt, error: e, message: describe(e), atMs: clock.now() };
      failures.push(failure);
      if (attempt >= attempts) throw new RetryError(failures, waits);
      if (opts.retryable && !opts.retryable(e))
        throw new RetryError(failures, waits, 'not retried: waiting does not change this answer');
      const waitMs = policy.backoffMs[attempt - 1]!;
      opts.onRetry?.(failure, waitMs, attempts - attempt);
      await clock.sleep(waitMs, signal);
      waits.push(waitMs);
    }
  }
}

// Which pull and build failures are worth another attempt is read from the registry's words,
// which only the engine layer reads: see pullRetryable and buildRetryable in src/engine/errors.ts.
