import { didYouMean } from '../common/suggest.js';
import type { SourcePos } from '../common/errors.js';
import type { ServiceLayer } from './layer.js';
import type { MergedProject } from './merge.js';
import type { LoadContext } from './node.js';

/**
 * A reference from `s` to `name` (a dependency, a shared namespace): a problem when that service
 * does not exist, or when no active profile enables it. Returns whether it runs.
 */
export function checkTarget(
  s: ServiceLayer,
  name: string,
  what: string,
  at: SourcePos,
  project: MergedProject,
  active: Set<string>,
  ctx: LoadContext,
  optional = false,
): boolean {
  const target = project.services.get(name);
  if (!target) {
    ctx.problems.add(
      at,
      `service "${s.name}" ${what} "${name}", which is not defined`,
      didYouMean(name, project.services.keys()) || `Define "${name}", or remove the reference.`,
    );
  } else if (!active.has(name) && !optional) {
    const profiles = target.profiles ?? [];
    ctx.problems.add(
      at,
      `service "${s.name}" ${what} "${name}", which is only enabled by profile ${profiles.join(' or ')}`,
      `Enable it with one of its profiles (${profiles.join(', ')})${what === 'depends on' ? ', or mark the dependency required: false' : ''}.`,
    );
  }
  return active.has(name);
}
