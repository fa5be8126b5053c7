import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse, stringify } from 'yaml';
import { loadSuites } from '../../src/manifest/load.js';
import { combineResults } from '../../src/report/combine.js';
import type { RunResults, ScenarioResult, StepResult } from '../../src/report/results.js';
import { run, type RunOptions } from '../../src/run.js';
import { STEP_KEYS } from '../../src/scenarios/registry.js';

interface Scenario {
  name: string;
  steps: Record<string, unknown>[];
}

/** The step actions a scenario uses (the one key of each step that is not name/for/expect). */
export function actionsOf(sc: Scenario): string[] {
  return sc.steps.flatMap((s) =>
    Object.keys(s).filter((k) => !['name', 'for', 'expect'].includes(k)),
  );
}

/**
 * Runs an example from examples/ in this process, against the real engine, from a copy of its
 * folder. `extraScenarios` (YAML, a list) are appended to the copy's scenarios: negative
 * variants that must fail as designed. A scenario that uses a step action this build has not
 * registered is left out of the copy and named in `dropped`, so the rest still runs.
 */
export async function runExample(
  name: string,
  opts: RunOptions & { extraScenarios?: string } = {},
): Promise<{ results: RunResults; dropped: string[]; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), `stackcheck-example-${name}-`));
  cpSync(resolve('examples', name), dir, { recursive: true });
  const file = join(dir, 'stackcheck.yml');
  const doc = parse(readFileSync(file, 'utf8')) as { scenarios?: Scenario[] };
  const all = [
    ...(doc.scenarios ?? []),
    ...((opts.extraScenarios ? parse(opts.extraScenarios) : []) as Scenario[]),
  ];
  const dropped = all
    .filter((sc) => actionsOf(sc).some((a) => !STEP_KEYS.includes(a)))
    .map((sc) => sc.name);
  doc.scenarios = all.filter((sc) => !dropped.includes(sc.name));
  writeFileSync(file, stringify(doc));
  const runs = [];
  for (const s of loadSuites(file, { env: process.env }))
    runs.push({ results: await run(s, opts), matrix: s.matrix });
  return { results: combineResults(runs), dropped, dir };
}

/** The scenarios of a run by name. */
export function scenariosByName(r: RunResults): Record<string, ScenarioResult> {
  return Object.fromEntries(r.scenarios.map((s) => [s.name, s]));
}

/** "name: status — message" for each step, for readable assertion failures. */
export function stepLines(sc: ScenarioResult | undefined): string[] {
  return (sc?.steps ?? []).map((s: StepResult) => `${s.name}: ${s.status} — ${s.message}`);
}

/** The example's own scenario names, as the file in examples/ has them. */
export function exampleScenarios(name: string): Scenario[] {
  return (
    (
      parse(readFileSync(resolve('examples', name, 'stackcheck.yml'), 'utf8')) as {
        scenarios?: Scenario[];
      }
    ).scenarios ?? []
  );
}
