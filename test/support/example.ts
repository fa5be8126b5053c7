import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse, stringify } from 'yaml';
import { filterSuite } from '../../src/manifest/filter.js';
import { loadSuites } from '../../src/manifest/load.js';
import { combineResults } from '../../src/report/combine.js';
import type { RunResults, ScenarioResult, StepResult } from '../../src/model/results.js';
import { run, type RunOptions } from '../../src/run.js';

interface Scenario {
  name: string;
  steps: Record<string, unknown>[];
}

/**
 * Runs an example from examples/ in this process, against the real engine, from a copy of its
 * folder. `extraScenarios` (YAML, a list) are appended to the copy's scenarios: negative
 * variants that must fail as designed. `checks` narrows the run as `run --checks` does.
 */
export async function runExample(
  name: string,
  opts: RunOptions & { extraScenarios?: string; checks?: string } = {},
): Promise<{ results: RunResults; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), `stackcheck-example-${name}-`));
  cpSync(resolve('examples', name), dir, { recursive: true });
  const file = join(dir, 'stackcheck.yml');
  const doc = parse(readFileSync(file, 'utf8')) as { scenarios?: Scenario[] };
  doc.scenarios = [
    ...(doc.scenarios ?? []),
    ...((opts.extraScenarios ? parse(opts.extraScenarios) : []) as Scenario[]),
  ];
  writeFileSync(file, stringify(doc));
  const runs = [];
  for (const loaded of loadSuites(file, { env: process.env })) {
    const s = opts.checks ? filterSuite(loaded, { checks: opts.checks }).suite : loaded;
    runs.push({ results: await run(s, opts), matrix: s.matrix });
  }
  return { results: combineResults(runs), dir };
}

/** The scenarios of a run by name. */
export function scenariosByName(r: RunResults): Record<string, ScenarioResult> {
  return Object.fromEntries(r.scenarios.map((s) => [s.name, s]));
}

/** "name: status — message" for each step, for readable assertion failures. */
export function stepLines(sc: ScenarioResult | undefined): string[] {
  // A scenario that did not run must not read as one whose steps all passed.
  if (!sc) return ['scenario not found'];
  return sc.steps.map((s: StepResult) => `${s.name}: ${s.status} — ${s.message}`);
}
