import type { SourcePos } from '../common/errors.js';
import { decisiveEvidence } from './evidence.js';
import type { CheckResult, RunResults } from '../model/results.js';

/**
 * Annotations from the results: errors at the manifest line of each failing check and at the
 * compose position of each service that did not come up; warnings for flaky and skipped
 * checks. Nothing here knows the runner: the action prints them as workflow commands.
 *
 * GitHub shows at most 10 annotations of each type per step, so each type is ranked and cut
 * to 10, and one notice says how many more there are and where to find them.
 *
 * Ranking of errors, most telling first:
 *  1. services that did not come up: the root cause of every check skipped after them;
 *  2. failed checks, in manifest order: verdicts about the system under test;
 *  3. failed scenario steps;
 *  4. checks and steps that errored: they could not judge (a probe or engine problem), which
 *     matters, but less than a verdict. Checks cut short by a cancellation are left out: one
 *     error says the run was interrupted.
 * Warnings: flaky checks (they passed, but only after failing), then skipped checks and
 * scenarios with their reasons, then teardown problems.
 */

export interface Annotation {
  level: 'error' | 'warning' | 'notice';
  title: string;
  message: string;
  file?: string;
  line?: number;
  col?: number;
}

export interface AnnotationOptions {
  /** How many of each type are shown (GitHub: 10 per step). */
  perType?: number;
  /** Turns a position's file (relative to where stackcheck ran) into what the host expects. */
  path?: (file: string) => string;
  /** Where the complete list is, for the overflow notice. */
  elsewhere?: string;
}

export const ANNOTATIONS_PER_TYPE = 10;

export function annotationsFor(r: RunResults, opts: AnnotationOptions = {}): Annotation[] {
  const perType = opts.perType ?? ANNOTATIONS_PER_TYPE;
  const where = (pos: SourcePos | undefined) =>
    pos
      ? { file: opts.path ? opts.path(pos.file) : pos.file, line: pos.line, col: pos.column }
      : {};
  const cancelled = (c: { status: string; message: string }) =>
    r.interrupted !== undefined && c.status === 'error' && /cancel/i.test(c.message);

  const errors: Annotation[] = [];
  for (const t of r.topologies) {
    if (!t.failure) continue;
    errors.push({
      level: 'error',
      title: t.failure.service
        ? `${t.name}: service ${t.failure.service} did not come up`
        : `topology ${t.name} could not be set up`,
      message: [t.failure.message, ...t.failure.details.slice(0, 8)].join('\n'),
      ...where(t.failure.source ?? t.source),
    });
  }
  const checkError = (c: CheckResult): Annotation => ({
    level: 'error',
    title: `${c.status === 'failed' ? 'check failed' : 'check could not run'}: ${c.name}`,
    message: [c.message, ...decisiveEvidence(c)].join('\n'),
    ...where(c.source),
  });
  errors.push(...r.checks.filter((c) => c.status === 'failed').map(checkError));
  const steps = (r.scenarios ?? []).flatMap((s) =>
    s.steps.map((step) => ({ scenario: s.name, step })),
  );
  const stepError = ({ scenario, step }: (typeof steps)[number]): Annotation => ({
    level: 'error',
    title: `scenario ${scenario}, step ${step.index + 1} ${step.status}: ${step.name}`,
    message: [step.message, ...stepEvidence(step.evidence)].join('\n'),
    ...where(step.source),
  });
  errors.push(...steps.filter((x) => x.step.status === 'failed').map(stepError));
  errors.push(...r.checks.filter((c) => c.status === 'error' && !cancelled(c)).map(checkError));
  errors.push(
    ...steps.filter((x) => x.step.status === 'error' && !cancelled(x.step)).map(stepError),
  );
  if (r.interrupted) {
    const unfinished = r.checks.filter(cancelled).length;
    errors.push({
      level: 'error',
      title: `run interrupted (${r.interrupted === 'timeout' ? 'time limit reached' : r.interrupted})`,
      message:
        `The run was stopped before it finished` +
        (unfinished ? `; ${unfinished} checks did not finish.` : '.') +
        ' Everything it created was removed.',
    });
  }

  const warnings: Annotation[] = [];
  for (const c of r.checks.filter((x) => x.flaky)) {
    warnings.push({
      level: 'warning',
      title: `flaky check: ${c.name}`,
      message: `passed only after ${c.attempts} attempts: ${c.message}`,
      ...where(c.source),
    });
  }
  for (const c of r.checks.filter((x) => x.status === 'skipped')) {
    warnings.push({
      level: 'warning',
      title: `check skipped: ${c.name}`,
      message: c.message,
      ...where(c.source),
    });
  }
  for (const s of (r.scenarios ?? []).filter((x) => x.status === 'skipped')) {
    const reason = s.steps.find((x) => x.status === 'skipped')?.message ?? 'skipped';
    warnings.push({
      level: 'warning',
      title: `scenario skipped: ${s.name}`,
      message: reason,
      ...where(s.source),
    });
  }
  if (!r.teardown.kept && r.teardown.errors.length) {
    warnings.push({
      level: 'warning',
      title: 'teardown left something behind',
      message: [
        `The post step, \`stackcheck down --run ${r.runId}\` or the next run removes it.`,
        ...r.teardown.errors.slice(0, 8),
      ].join('\n'),
    });
  }

  const elsewhere = opts.elsewhere ?? 'the job summary and the JUnit report';
  const out: Annotation[] = [];
  const notices: Annotation[] = [];
  for (const [list, noun] of [
    [errors, 'error'],
    [warnings, 'warning'],
  ] as const) {
    out.push(...list.slice(0, perType));
    const more = list.length - perType;
    if (more > 0) {
      const what = `${more} more ${noun}${more === 1 ? '' : 's'}`;
      notices.push({
        level: 'notice',
        title: `${what} not annotated`,
        message:
          `GitHub shows ${perType} annotations of each type per step; ` +
          `${what} ${more === 1 ? 'is' : 'are'} listed in ${elsewhere}.`,
      });
    }
  }
  return [...out, ...notices.slice(0, perType)];
}

function stepEvidence(evidence: Record<string, unknown>): string[] {
  return decisiveEvidence({ evidence } as CheckResult);
}
