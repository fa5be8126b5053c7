import { isAbsolute, relative, sep } from 'node:path';
import type { SourcePos } from '../common/errors.js';
import type { RunResults } from '../model/results.js';

/**
 * A path as a repository host shows it: relative to `base` (the workspace, the repository
 * root), with slashes. A file outside `base` keeps its absolute path: no relative form of it
 * links to anything there.
 */
export function repoPath(abs: string, base: string): string {
  const rel = relative(base, abs);
  if (!rel || rel.startsWith('..') || isAbsolute(rel)) return abs;
  return rel.split(sep).join('/');
}

/**
 * The results with every manifest and compose position's file passed through `path`: what a
 * report shows a reader where stackcheck ran somewhere other than the repository root (the
 * action's `working-directory`). The results themselves keep the positions as loaded.
 */
export function relocated(r: RunResults, path: (file: string) => string): RunResults {
  const at = <T extends SourcePos | undefined>(pos: T): T =>
    (pos && { ...pos, file: path(pos.file) }) as T;
  return {
    ...r,
    topologies: r.topologies.map((t) => ({
      ...t,
      source: at(t.source),
      services: t.services.map((s) => (s.source ? { ...s, source: at(s.source) } : s)),
      ...(t.failure?.source && { failure: { ...t.failure, source: at(t.failure.source) } }),
    })),
    checks: r.checks.map((c) => ({ ...c, source: at(c.source) })),
    scenarios: r.scenarios.map((s) => ({
      ...s,
      source: at(s.source),
      steps: s.steps.map((step) => ({ ...step, source: at(step.source) })),
    })),
    ...(r.problems && { problems: r.problems.map((p) => ({ ...p, pos: at(p.pos) })) }),
  };
}
