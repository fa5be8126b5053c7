import type { Suite } from '../manifest/suite.js';

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
