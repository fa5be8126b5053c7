import { UserError } from './common/errors.js';
import type { Env } from './common/interpolate.js';
import { filterSuite, type SuiteFilter } from './manifest/filter.js';
import { loadSuites } from './manifest/load.js';
import type { Suite } from './model/suite.js';
import { silentProgress } from './orchestrator/progress.js';
import { combineResults } from './report/combine.js';
import { matrixLabel } from './report/evidence.js';
import type { ReportFiles } from './report/files.js';
import type { RunResults } from './model/results.js';
import { run, type RunOptions } from './run.js';

/**
 * What `stackcheck run` does, shared by the CLI and the action so both behave the same:
 * load the manifest (one suite per matrix combination), narrow it, run each suite, combine
 * the results, write the reports. Each adapter adds only what its surface needs.
 */

export interface LoadedManifest {
  suites: Suite[];
  /** What the filter left out, in words, for the log (empty when nothing was). */
  notes: string[];
}

export function loadManifest(
  manifest: string,
  opts: { env?: Env; filter?: SuiteFilter } = {},
): LoadedManifest {
  const suites = loadSuites(manifest, { env: opts.env });
  if (!opts.filter?.topologies?.length && !opts.filter?.checks) return { suites, notes: [] };
  const filtered = suites.map((s) => filterSuite(s, opts.filter!));
  const d = filtered[0]!.dropped;
  const notes = [
    d.topologies.length ? `filter: leaving out topologies ${d.topologies.join(', ')}` : '',
    d.checks.length ? `filter: leaving out ${d.checks.length} checks: ${d.checks.join('; ')}` : '',
    d.scenarios.length ? `filter: leaving out scenarios ${d.scenarios.join('; ')}` : '',
  ].filter(Boolean);
  return { suites: filtered.map((f) => f.suite), notes };
}

/** Runs every suite (matrix combinations one after another) and combines their results. */
export async function runSuites(suites: Suite[], opts: RunOptions = {}): Promise<RunResults> {
  const progress = opts.progress ?? silentProgress;
  const runs: { results: RunResults; matrix?: Record<string, string> }[] = [];
  for (const suite of suites) {
    if (opts.signal?.aborted) break;
    if (suite.matrix)
      progress.emit({ kind: 'note', level: 'info', text: `matrix${matrixLabel(suite.matrix)}` });
    const results = await run(suite, {
      ...opts,
      failureLogLines: opts.failureLogLines ?? suite.report.logs?.onFailure,
    });
    runs.push({ results, matrix: suite.matrix });
  }
  if (!runs.length) throw new UserError({ message: 'cancelled before the run started' });
  const combined = combineResults(runs);
  if (runs.length < 2) return combined;
  // combine.ts names each combination's topologies and checks; logs follow the same names.
  const logs = Object.fromEntries(
    runs.flatMap(({ results, matrix }) =>
      Object.entries(results.logs ?? {}).map(([k, v]) => [k + matrixLabel(matrix), v]),
    ),
  );
  return Object.keys(logs).length ? { ...combined, logs } : combined;
}

/** The report files to write: what the user asked for, else what the manifest's `report:` says. */
export function reportFiles(asked: ReportFiles, suite: Suite | undefined): ReportFiles {
  return {
    json: asked.json ?? suite?.report.json,
    junit: asked.junit ?? suite?.report.junit,
    summary: asked.summary,
    html: asked.html,
  };
}
