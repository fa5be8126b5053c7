import { UserError } from '../common/errors.js';
import type { ScenarioSpec } from '../model/suite.js';
import type { Suite } from '../model/suite.js';

/** A narrower run of a suite: some of its topologies, the checks and scenarios whose names match. */
export interface SuiteFilter {
  /** Topology names to keep; undefined or empty keeps all. */
  topologies?: string[];
  /** Keep only the checks and scenarios whose name matches (a regular expression, unanchored). */
  checks?: string;
}

export interface FilteredSuite {
  suite: Suite;
  /** What the filter left out, for the log: nothing is dropped without saying so. */
  dropped: { topologies: string[]; checks: string[]; scenarios: string[] };
}

/**
 * Narrows a suite. Checks and scenarios that name a service of a topology left out go too,
 * since they could not run; static checks that name no service stay. A kept topology keeps
 * the topologies its services wait for (`depends_on`), which must come up before them. The
 * name pattern picks checks and scenarios alike (a scenario whole, with all its steps); one
 * that matches neither is a mistake, not an empty run.
 */
export function filterSuite(suite: Suite, filter: SuiteFilter): FilteredSuite {
  const wanted = filter.topologies?.filter(Boolean) ?? [];
  const names = suite.topologies.map((t) => t.name);
  const unknown = wanted.filter((n) => !names.includes(n));
  if (unknown.length) {
    throw new UserError({
      message: `the topology filter names ${unknown.map((n) => `"${n}"`).join(', ')}, which ${unknown.length > 1 ? 'are' : 'is'} not in ${suite.file}`,
      hint: `Topologies: ${names.join(', ')}.`,
    });
  }
  const pattern = compile(filter.checks);
  const named = (n: string) => !pattern || pattern.test(n);
  if (
    pattern &&
    !suite.checks.some((c) => named(c.name)) &&
    !suite.scenarios.some((x) => named(x.name))
  ) {
    throw new UserError({
      message: `the check filter "${filter.checks}" matches no check or scenario name in ${suite.file}`,
      hint: `Checks: ${some(suite.checks.map((c) => c.name))}. Scenarios: ${some(suite.scenarios.map((x) => x.name))}.`,
    });
  }
  const kept = withDependencies(suite, wanted);
  const keepTopology = (name: string) => !kept.size || kept.has(name);
  const inKept = (targets: string[]) => targets.every((t) => keepTopology(t.split('/')[0]!));

  const topologies = suite.topologies.filter((t) => keepTopology(t.name));
  const checks = suite.checks.filter((c) => inKept(c.targets) && named(c.name));
  const scenarios = suite.scenarios.filter((s) => inKept(scenarioTargets(s)) && named(s.name));
  return {
    suite: { ...suite, topologies, checks, scenarios },
    dropped: {
      topologies: names.filter((n) => !keepTopology(n)),
      checks: suite.checks.filter((c) => !checks.includes(c)).map((c) => c.name),
      scenarios: suite.scenarios.filter((s) => !scenarios.includes(s)).map((s) => s.name),
    },
  };
}

/** The named topologies and those their services wait for (`depends_on`), however indirectly. */
function withDependencies(suite: Suite, names: string[]): Set<string> {
  const out = new Set(names);
  // A Set's iteration also visits what is added during it.
  for (const name of out)
    for (const d of suite.topologies.find((t) => t.name === name)?.dependsOn ?? [])
      out.add(d.on.topology);
  return out;
}

/** Names for a hint: the first few of a long list. */
function some(names: string[], shown = 10): string {
  if (!names.length) return 'none';
  const more = names.length > shown ? `; … ${names.length - shown} more` : '';
  return names.slice(0, shown).join('; ') + more;
}

function compile(source: string | undefined): RegExp | undefined {
  if (!source) return undefined;
  try {
    return new RegExp(source);
  } catch (e) {
    throw new UserError({
      message: `the check filter "${source}" is not a valid regular expression: ${(e as Error).message}`,
      hint: 'Give a JavaScript regular expression, e.g. "^api " or "health|ready".',
    });
  }
}

/** The topology/service names a scenario's steps touch, resolved against the whole suite. */
function scenarioTargets(scenario: ScenarioSpec): string[] {
  return scenario.steps.flatMap((step) => step.targets);
}
