import { sumEngineCalls } from '../engine/count.js';
import type { RunResults } from '../model/results.js';

function label(matrix: Record<string, string> | undefined): string {
  return matrix
    ? ` [${Object.entries(matrix)
        .map(([k, v]) => `${k}=${v}`)
        .join(', ')}]`
    : '';
}

const SEVERITY = { passed: 0, failed: 1, error: 2 } as const;

/**
 * One result for a matrix: every combination's topologies and checks, each named with its
 * combination ("api healthy [NUM_GPUS=2]") so reports tell them apart.
 */
export function combineResults(
  runs: { results: RunResults; matrix?: Record<string, string> }[],
): RunResults {
  if (runs.length === 1) return runs[0]!.results;
  const all = runs.map((r) => r.results);
  const teardowns = all.map((r) => r.teardown);
  const engineCalls = sumEngineCalls(all.map((r) => r.engineCalls));
  return {
    suite: all[0]!.suite,
    runId: all.map((r) => r.runId).join(','),
    status: all.reduce<RunResults['status']>(
      (w, r) => (SEVERITY[r.status] > SEVERITY[w] ? r.status : w),
      'passed',
    ),
    durationMs: all.reduce((n, r) => n + r.durationMs, 0),
    startedAt: all[0]!.startedAt,
    ...(all.find((r) => r.interrupted) && {
      interrupted: all.find((r) => r.interrupted)!.interrupted,
    }),
    topologies: runs.flatMap(({ results, matrix }) =>
      results.topologies.map((t) => ({ ...t, name: t.name + label(matrix), matrix })),
    ),
    checks: runs.flatMap(({ results, matrix }) =>
      results.checks.map((c) => ({ ...c, name: c.name + label(matrix), matrix })),
    ),
    scenarios: runs.flatMap(({ results, matrix }) =>
      results.scenarios.map((s) => ({ ...s, name: s.name + label(matrix), matrix })),
    ),
    teardown: teardowns.every((t) => t.kept)
      ? { kept: true }
      : teardowns.reduce<Extract<RunResults['teardown'], { kept: false }>>(
          (a, t) =>
            t.kept
              ? a
              : {
                  kept: false,
                  containers: a.containers + t.containers,
                  networks: a.networks + t.networks,
                  volumes: a.volumes + t.volumes,
                  errors: [...a.errors, ...t.errors],
                },
          { kept: false, containers: 0, networks: 0, volumes: 0, errors: [] },
        ),
    ...(engineCalls && { engineCalls }),
  };
}
