import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { UserError } from '../common/errors.js';
import { baseName, matrixLabel } from './evidence.js';
import type { RunResults } from '../model/results.js';

/**
 * Several runs' results as one: the jobs of a matrix of runners, or the runs before and
 * after a sync. Each run's topologies, checks and scenarios get a `job` entry in their matrix
 * and in their name ("api answers [job=pc2]"), so every report tells them apart.
 */
export function mergeResults(runs: { results: RunResults; label: string }[]): RunResults {
  if (runs.length === 0) throw new UserError({ message: 'no results to merge' });
  if (runs.length === 1) return { ...runs[0]!.results, label: runs[0]!.label };
  const SEVERITY = { passed: 0, failed: 1, error: 2 } as const;
  const relabel = <T extends { name: string; matrix?: Record<string, string> }>(
    item: T,
    label: string,
  ): T => {
    const matrix = { ...item.matrix, job: label };
    return { ...item, name: baseName(item.name, item.matrix) + matrixLabel(matrix), matrix };
  };
  const all = runs.map((r) => r.results);
  const logs: Record<string, string[]> = {};
  for (const { results, label } of runs) {
    for (const c of results.checks) {
      for (const target of c.targets) {
        const lines = results.logs?.[target + matrixLabel(c.matrix)] ?? results.logs?.[target];
        if (lines) logs[target + matrixLabel({ ...c.matrix, job: label })] = lines;
      }
    }
  }
  const teardowns = all.map((r) => r.teardown);
  const removed = teardowns.filter(
    (t): t is Extract<RunResults['teardown'], { kept: false }> => !t.kept,
  );
  return {
    suite: [...new Set(all.map((r) => r.suite))].join(' + '),
    runId: all.map((r) => r.runId).join(','),
    status: all.reduce<RunResults['status']>(
      (w, r) => (SEVERITY[r.status] > SEVERITY[w] ? r.status : w),
      'passed',
    ),
    // The jobs ran side by side (or one after another, for a sync): the longest is the wait.
    durationMs: Math.max(...all.map((r) => r.durationMs)),
    startedAt: all.map((r) => r.startedAt).sort()[0]!,
    ...(all.find((r) => r.interrupted) && {
      interrupted: all.find((r) => r.interrupted)!.interrupted,
    }),
    topologies: runs.flatMap(({ results, label }) =>
      results.topologies.map((t) => relabel(t, label)),
    ),
    checks: runs.flatMap(({ results, label }) => results.checks.map((c) => relabel(c, label))),
    scenarios: runs.flatMap(({ results, label }) =>
      (results.scenarios ?? []).map((s) => relabel(s, label)),
    ),
    teardown:
      removed.length === 0
        ? { kept: true }
        : removed.reduce(
            (a, t) => ({
              kept: false as const,
              containers: a.containers + t.containers,
              networks: a.networks + t.networks,
              volumes: a.volumes + t.volumes,
              errors: [...a.errors, ...t.errors],
            }),
            {
              kept: false as const,
              containers: 0,
              networks: 0,
              volumes: 0,
              errors: [] as string[],
            },
          ),
    ...(Object.keys(logs).length && { logs }),
    label: runs.map((r) => r.label).join(', '),
  };
}

/**
 * Results JSON files from paths: files, or folders searched for `*.json` files that hold
 * stackcheck results (as a download of several artifacts lays them out: one folder each).
 * Each run is labelled with its own `label` (the action's input), else the folder it came
 * from under the given one (the artifact's name), else its file name.
 */
export function readResultFiles(
  paths: string[],
): { results: RunResults; label: string; file: string }[] {
  const files = paths.flatMap((p) => jsonFiles(p, undefined));
  const out = files.flatMap(({ file, origin }) => {
    let data: unknown;
    try {
      data = JSON.parse(readFileSync(file, 'utf8'));
    } catch {
      return [];
    }
    if (!isResults(data)) return [];
    const label = data.label ?? origin;
    return [{ results: { ...data, scenarios: data.scenarios ?? [] }, label, file }];
  });
  if (!out.length) {
    throw new UserError({
      message: `no stackcheck results found in ${paths.join(', ')}`,
      hint: 'Give the JSON files that `stackcheck run --json` (or the action) wrote, or folders holding them.',
    });
  }
  out.sort((a, b) => a.label.localeCompare(b.label) || a.file.localeCompare(b.file));
  // Two runs must not share a label, or their results would share names.
  const seen = new Map<string, number>();
  for (const r of out) {
    const n = (seen.get(r.label) ?? 0) + 1;
    seen.set(r.label, n);
    if (n > 1) r.label = `${r.label} (${n})`;
  }
  return out;
}

/** JSON files under a path, each with the name it came by: its first folder below, or its own. */
function jsonFiles(path: string, origin: string | undefined): { file: string; origin: string }[] {
  let st;
  try {
    st = statSync(path);
  } catch {
    throw new UserError({ message: `${path}: no such file or folder` });
  }
  if (!st.isDirectory()) return [{ file: path, origin: origin ?? basename(path, '.json') }];
  return readdirSync(path, { withFileTypes: true })
    .filter((e) => e.isDirectory() || e.name.endsWith('.json'))
    .flatMap((e) =>
      jsonFiles(join(path, e.name), origin ?? (e.isDirectory() ? e.name : undefined)),
    );
}

function isResults(d: unknown): d is RunResults {
  const r = d as RunResults;
  return (
    !!r &&
    typeof r === 'object' &&
    typeof r.suite === 'string' &&
    typeof r.runId === 'string' &&
    Array.isArray(r.topologies) &&
    Array.isArray(r.checks)
  );
}
