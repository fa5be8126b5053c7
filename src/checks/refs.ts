import type { Suite } from '../manifest/suite.js';
import type { ServiceRefUse } from './types.js';

export interface ServiceRef {
  topology: string;
  service: string;
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

/**
 * Resolves every service a check or a step names: the `topology/service` targets found, and
 * a problem (message and path inside the entry) for each one that does not exist.
 */
export function resolveRefUses(
  suite: Pick<Suite, 'topologies'>,
  uses: ServiceRefUse[],
): { targets: string[]; problems: { message: string; path: (string | number)[] }[] } {
  const targets: string[] = [];
  const problems: { message: string; path: (string | number)[] }[] = [];
  for (const use of uses) {
    const r = resolveServiceRef(suite, use.ref);
    if (typeof r === 'string') problems.push({ message: r, path: use.path });
    else targets.push(`${r.topology}/${r.service}`);
  }
  return { targets: [...new Set(targets)], problems };
}
