import { durationsAsText } from '../common/duration.js';
import { runCheck, type RunChecksOptions } from '../checks/runner.js';
import type { Runtime } from '../live/runtime.js';
import type { Outcome } from '../model/check.js';
import { errorMessage } from '../common/errors.js';
import type { ScenarioResult, StepResult } from '../model/results.js';
import { FaultSet } from '../live/fault-set.js';
import { stepOf } from './registry.js';
import type { ScenarioSpec, StepSpec } from '../model/suite.js';

export interface RunScenariosOptions extends RunChecksOptions {
  runtime: Runtime;
}

/**
 * Scenarios, one after another; the steps of each in order. A failed step skips the rest of
 * its scenario; whatever happens — a pass, a failure, cancellation — every fault the scenario
 * injected is healed before the next one starts.
 */
export async function runScenarios(
  scenarios: ScenarioSpec[],
  opts: RunScenariosOptions,
): Promise<ScenarioResult[]> {
  const results: ScenarioResult[] = [];
  for (const sc of scenarios) results.push(await runScenario(sc, opts));
  return results;
}

async function runScenario(sc: ScenarioSpec, opts: RunScenariosOptions): Promise<ScenarioResult> {
  const { clock } = opts;
  const start = clock.now();
  const origin = opts.runStart ?? start;
  const faults = new FaultSet(() => Math.round(clock.now() - origin));
  const steps: StepResult[] = [];
  let stopped: string | undefined;
  try {
    for (const step of sc.steps) {
      if (opts.signal.aborted) stopped ??= 'the run was cancelled';
      if (stopped) {
        steps.push(
          result(
            step,
            { status: 'skipped', message: `not run: ${stopped}`, evidence: {} },
            clock.now() - start,
            0,
          ),
        );
        continue;
      }
      const t0 = clock.now();
      const outcome = await runStep(step, faults, opts);
      steps.push(result(step, outcome, t0 - start, clock.now() - t0));
      opts.progress?.emit({
        kind: 'check',
        name: `${sc.name} › ${step.name}`,
        status: outcome.status,
        durationMs: Math.round(clock.now() - t0),
      });
      if (outcome.status === 'failed' || outcome.status === 'error')
        stopped = `step ${step.index + 1} (${step.name}) ${outcome.status}`;
    }
  } finally {
    await faults.healAll(opts.signal.aborted ? 'cancellation' : 'the end of the scenario');
  }
  const healErrors = faults.healed.filter((h) => h.error);
  const statuses = steps.map((s) => s.status);
  const status = statuses.includes('failed')
    ? 'failed'
    : statuses.includes('error') || healErrors.length
      ? 'error'
      : statuses.every((s) => s === 'skipped')
        ? 'skipped'
        : 'passed';
  return {
    name: sc.name,
    status,
    ...(opts.runStart !== undefined && { startedMs: Math.round(start - opts.runStart) }),
    durationMs: Math.round(clock.now() - start),
    source: sc.pos,
    steps,
    faults: faults.healed,
  };
}

async function runStep(
  step: StepSpec,
  faults: FaultSet,
  opts: RunScenariosOptions,
): Promise<Outcome> {
  if (step.check) {
    // The scenario reports the step itself; the check must not report it a second time.
    const r = await runCheck(step.check, { ...opts, progress: undefined });
    return {
      status: r.status,
      message: r.message,
      evidence: { ...r.evidence, attempts: r.attempts },
    };
  }
  try {
    return await stepOf(step.key).run(step.entry as never, {
      suite: opts.suite,
      runtime: opts.runtime,
      clock: opts.clock,
      signal: opts.signal,
      faults,
      progress: opts.progress,
      forMs: step.forMs,
    });
  } catch (e) {
    return {
      status: 'error',
      message: opts.signal.aborted ? 'cancelled' : errorMessage(e),
      evidence: {},
    };
  }
}

function result(step: StepSpec, o: Outcome, startedMs: number, durationMs: number): StepResult {
  return {
    index: step.index,
    action: step.key,
    name: step.name,
    status: o.status,
    startedMs: Math.round(startedMs),
    durationMs: Math.round(durationMs),
    message: o.message,
    evidence: durationsAsText(o.evidence) as Record<string, unknown>,
    source: step.pos,
    ...(step.targets.length && { targets: step.targets }),
  };
}
