import type { Clock } from '../common/clock.js';
import { formatDuration } from '../common/duration.js';
import type { Outcome } from '../model/check.js';
import { KINDS_WITH_HEADERS, type RepeatEntry } from './repeat.schema.js';

/**
 * `repeat:` on a check: the attempt runs many times (a count, or for a while) and the verdict
 * is about the whole series — the share that passed, and how the answers spread over the
 * backends that gave them. "Kill the GPU service, the CPU fallback keeps answering" and
 * "traffic spreads over both machines" are one check each.
 */

export interface RepeatPlan {
  count?: number;
  forMs?: number;
  intervalMs: number;
  successRatio: number;
  distribution?: { header: string; min?: number; backends?: string[] };
}

const FOR_DEFAULT_INTERVAL_MS = 100;
const EPSILON = 1e-9;

export function repeatPlan(r: RepeatEntry): RepeatPlan {
  if (typeof r === 'number') return { count: r, intervalMs: 0, successRatio: 1 };
  const forMs = r.for === undefined ? undefined : r.for.ms;
  return {
    count: r.count,
    forMs,
    intervalMs:
      r.interval !== undefined ? r.interval.ms : forMs !== undefined ? FOR_DEFAULT_INTERVAL_MS : 0,
    successRatio: r.successRatio,
    distribution: r.distribution && {
      header: r.distribution.header.toLowerCase(),
      min: r.distribution.min,
      backends: r.distribution.backends,
    },
  };
}

/** The header a check's `repeat.distribution` reads, so its kind keeps it in the evidence. */
export function distributionHeader(entry: { repeat?: RepeatEntry }): string | undefined {
  const r = entry.repeat;
  return r !== undefined && typeof r === 'object'
    ? r.distribution?.header.toLowerCase()
    : undefined;
}

/** The header's values in one attempt's evidence: one request, or one per replica probed. */
function headerValues(evidence: Record<string, unknown>, header: string): (string | undefined)[] {
  const of = (e: unknown): string | undefined => {
    const h = (e as { headers?: Record<string, unknown> } | undefined)?.headers;
    const v = h?.[header];
    return typeof v === 'string' ? v : undefined;
  };
  if (Array.isArray(evidence.replicas)) return evidence.replicas.map(of);
  return [of(evidence)];
}

const pct = (x: number) => `${Math.round(x * 1000) / 10}%`;
const round = (x: number) => Math.round(x * 10_000) / 10_000;

interface Failure {
  attempt: number;
  message: string;
  evidence: Record<string, unknown>;
}

/**
 * Runs `once` as the plan says and judges the series. A `skipped` or `error` attempt ends the
 * series with that status at once (it would not change on repetition); a series whose verdict
 * is already decided (too many failures) stops early.
 */
export async function runRepeated(
  plan: RepeatPlan,
  kind: string,
  once: () => Promise<Outcome>,
  clock: Clock,
  signal: AbortSignal,
): Promise<Outcome> {
  if (plan.distribution && !KINDS_WITH_HEADERS.has(kind)) {
    return {
      status: 'error',
      message: `repeat.distribution reads a response header, which ${kind} checks do not have (only ${[...KINDS_WITH_HEADERS].join(', ')})`,
      evidence: {},
    };
  }
  const start = clock.now();
  const header = plan.distribution?.header;
  // Backend name (or undefined: the header was missing) of every answer, passing or not.
  const seen: { value: string | undefined; passed: boolean }[] = [];
  const failures = new Map<string, { count: number; first: Failure }>();
  let attempts = 0;
  let passed = 0;
  let last: Outcome | undefined;
  let stoppedEarly: string | undefined;
  const allowedFailures =
    plan.count !== undefined
      ? Math.floor(plan.count * (1 - plan.successRatio) + EPSILON)
      : plan.successRatio >= 1
        ? 0
        : Infinity;

  for (;;) {
    attempts++;
    const o = await once();
    last = o;
    if (o.status === 'skipped' || o.status === 'error') {
      return {
        status: o.status,
        message: attempts > 1 ? `attempt ${attempts} of the series: ${o.message}` : o.message,
        evidence: { ...o.evidence, repeat: { attempts, passed } },
      };
    }
    if (header !== undefined)
      for (const value of headerValues(o.evidence, header))
        seen.push({ value, passed: o.status === 'passed' });
    if (o.status === 'passed') passed++;
    else {
      const f = failures.get(o.message);
      if (f) f.count++;
      else
        failures.set(o.message, {
          count: 1,
          first: { attempt: attempts, message: o.message, evidence: o.evidence },
        });
    }
    const failed = attempts - passed;
    if (signal.aborted) {
      stoppedEarly = 'cancelled';
      break;
    }
    if (failed > allowedFailures) {
      if (plan.count === undefined || attempts < plan.count)
        stoppedEarly = `${failed} failed, more than the ${allowedFailures} allowed`;
      break;
    }
    if (plan.count !== undefined && attempts >= plan.count) break;
    if (plan.forMs !== undefined && clock.now() - start + plan.intervalMs >= plan.forMs) break;
    if (plan.intervalMs > 0) {
      try {
        await clock.sleep(plan.intervalMs, signal);
      } catch {
        stoppedEarly = 'cancelled';
        break;
      }
    }
  }

  const failed = attempts - passed;
  const ratio = passed / attempts;
  const ratioOk = !stoppedEarly && ratio + EPSILON >= plan.successRatio;
  const series: Record<string, unknown> = {
    attempts,
    passed,
    failed,
    ratio: round(ratio),
    successRatio: plan.successRatio,
    durationMs: Math.round(clock.now() - start),
    intervalMs: plan.intervalMs,
    ...(plan.count !== undefined ? { count: plan.count } : { forMs: plan.forMs }),
    ...(stoppedEarly ? { stoppedEarly } : {}),
  };
  // The distinct failure messages (at most 5), each with how often and when it first came.
  const distinct = [...failures.values()];
  const firstFailure = distinct[0]?.first;
  const failureList = distinct.slice(0, 5).map((f) => ({
    message: f.first.message,
    count: f.count,
    firstAttempt: f.first.attempt,
  }));
  const evidence: Record<string, unknown> = {
    repeat: series,
    ...(failures.size ? { failures: failureList, firstFailure } : {}),
    last: last!.evidence,
  };

  const ratioText =
    plan.successRatio < 1 || failed > 0
      ? `${passed}/${attempts} passed (${pct(ratio)}, ${plan.successRatio < 1 ? `needed ${pct(plan.successRatio)}` : 'needed every one'})`
      : `${passed}/${attempts} passed`;

  let distMiss: string | undefined;
  let distText = '';
  if (plan.distribution) {
    const d = judgeDistribution(plan.distribution, seen);
    evidence.distribution = d.evidence;
    distMiss = d.miss;
    distText = d.summary;
  }

  if (!ratioOk) {
    const why = stoppedEarly ? `; stopped after attempt ${attempts}: ${stoppedEarly}` : '';
    const first = firstFailure
      ? `; first failure (attempt ${firstFailure.attempt}): ${firstFailure.message}`
      : '';
    return { status: 'failed', message: `${ratioText}${why}${first}`, evidence };
  }
  if (distMiss) return { status: 'failed', message: `${ratioText}; ${distMiss}`, evidence };
  const span = plan.forMs !== undefined ? ` over ${formatDuration(clock.now() - start)}` : '';
  return {
    status: 'passed',
    message: `${ratioText}${span}${distText ? `; ${distText}` : ''}`,
    evidence,
  };
}

function judgeDistribution(
  d: NonNullable<RepeatPlan['distribution']>,
  seen: { value: string | undefined; passed: boolean }[],
): { miss?: string; summary: string; evidence: Record<string, unknown> } {
  const ok = seen.filter((s) => s.passed);
  const counts: Record<string, number> = {};
  const failedBy: Record<string, number> = {};
  let missing = 0;
  for (const s of seen) {
    if (s.value === undefined) {
      if (s.passed) missing++;
      continue;
    }
    const into = s.passed ? counts : failedBy;
    into[s.value] = (into[s.value] ?? 0) + 1;
  }
  const attributed = ok.length - missing;
  const shares = Object.fromEntries(
    Object.entries(counts)
      .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
      .map(([k, n]) => [k, round(n / Math.max(ok.length, 1))]),
  );
  const summary = `${d.header}: ${
    Object.entries(shares)
      .map(([k, s]) => `${k} ${pct(s)}`)
      .join(', ') || 'nothing'
  }`;
  const evidence: Record<string, unknown> = {
    header: d.header,
    counts,
    shares,
    ...(d.min !== undefined ? { min: d.min } : {}),
    ...(d.backends ? { backends: d.backends } : {}),
    ...(Object.keys(failedBy).length ? { failedBy } : {}),
    ...(missing ? { missingHeader: missing } : {}),
  };
  const fail = (miss: string) => ({ miss, summary, evidence });
  if (ok.length === 0) return fail(`no passing answer to attribute to a backend by ${d.header}`);
  if (missing > 0)
    return fail(
      `${missing} of ${ok.length} passing answers carried no ${d.header} header, so their backend is unknown`,
    );
  const absent = (d.backends ?? []).filter((b) => !counts[b]);
  if (absent.length)
    return fail(
      `${absent.join(', ')} never answered (${summary}; expected ${d.backends!.join(', ')})`,
    );
  if (d.min !== undefined) {
    const low = Object.entries(counts).filter(([, n]) => n / attributed + EPSILON < d.min!);
    if (low.length)
      return fail(
        `${low.map(([k, n]) => `${k} answered ${pct(n / attributed)}`).join(', ')}, under the ${pct(d.min)} each backend needs (${summary})`,
      );
  }
  return { summary, evidence };
}
