import type { Suite } from './suite.js';
import type { ServiceRefUse } from './suite.js';

export interface ServiceRef {
  topology: string;
  service: string;
}

export interface Replica extends ServiceRef {
  node: string;
  containerId: string;
  containerName: string;
  index: number;
}

/**
 * Resolves `topology/service`, or a bare `service` when exactly one topology has it.
 * Returns a message saying what is wrong otherwise.
 */
export function resolveServiceRef(
  suite: Pick<Suite, 'topologies'>,
  ref: string,
): ServiceRef | string {
  const slash = ref.indexOf('/');
  if (slash >= 0) {
    const topology = ref.slice(0, slash);
    const service = ref.slice(slash + 1);
    const t = suite.topologies.find((x) => x.name === topology);
    if (!t)
      return `no topology "${topology}" (topologies: ${suite.topologies.map((x) => x.name).join(', ')})`;
    if (!t.project.services[service]) {
      return `topology "${topology}" has no service "${service}" (services: ${Object.keys(t.project.services).join(', ')})`;
    }
    return { topology, service };
  }
  const owners = suite.topologies.filter((t) => t.project.services[ref]);
  if (owners.length === 1) return { topology: owners[0]!.name, service: ref };
  if (owners.length === 0) {
    const all = suite.topologies.flatMap((t) =>
      Object.keys(t.project.services).map((s) => `${t.name}/${s}`),
    );
    return `no service "${ref}" in any topology (services: ${all.join(', ')})`;
  }
  return `service "${ref}" exists in several topologies (${owners.map((t) => t.name).join(', ')}); write topology/service`;
}

/** The topologies references resolve against; `unloaded` ones failed to load (their compose files have problems). */
export type RefScope = Pick<Suite, 'topologies'> & { unloaded?: readonly string[] };

/**
 * A ref no loaded topology has that may name a service of one that did not load: that
 * topology's own problems say why, so it gets no second one. Ambiguity is still reported.
 */
function mayBeUnloaded(suite: RefScope, ref: string): boolean {
  const unloaded = suite.unloaded ?? [];
  const slash = ref.indexOf('/');
  if (slash >= 0) return unloaded.includes(ref.slice(0, slash));
  return unloaded.length > 0 && !suite.topologies.some((t) => t.project.services[ref]);
}

/**
 * Resolves every service a check or a step names: the `topology/service` targets found, and
 * a problem (message and path inside the entry) for each one that does not exist.
 */
export function resolveRefUses(
  suite: RefScope,
  uses: ServiceRefUse[],
): { targets: string[]; problems: { message: string; path: (string | number)[] }[] } {
  const targets: string[] = [];
  const problems: { message: string; path: (string | number)[] }[] = [];
  for (const use of uses) {
    const r = resolveServiceRef(suite, use.ref);
    if (typeof r !== 'string') targets.push(`${r.topology}/${r.service}`);
    else if (!mayBeUnloaded(suite, use.ref)) problems.push({ message: r, path: use.path });
  }
  return { targets: [...new Set(targets)], problems };
}
