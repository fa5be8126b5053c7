import { UserError, type Problem } from '../common/errors.js';
import type {
  BuildSpec,
  DependsCondition,
  NetworkSpec,
  ServiceSpec,
  VolumeSpec,
} from '../compose/model.js';
import type { CrossDependency, Suite, TopologySpec } from '../model/suite.js';

/** What will be created, where, and in which order: derived from the suite, before any engine call. */
export interface Plan {
  runId: string;
  topologies: TopologyPlan[];
}

export interface TopologyPlan {
  spec: TopologySpec;
  /** Ordered so that each service comes after everything it depends on. */
  services: ServicePlan[];
  networks: { key: string; engineName: string; spec: NetworkSpec; create: boolean }[];
  volumes: { key: string; engineName: string; spec: VolumeSpec; create: boolean }[];
}

export interface ServicePlan {
  topology: string;
  node: string;
  spec: ServiceSpec;
  deps: { service: string; condition: DependsCondition }[];
  /** Services of other topologies it waits for (the topology's `depends_on`). */
  crossDeps: CrossDependency[];
  /** Services that depend on this one: they stop before it does. */
  dependents: string[];
  /** Services of other topologies that wait for this one, as topology/service: they stop first too. */
  crossDependents: string[];
  /** 0 for services with no dependencies, else 1 + the highest tier among them. */
  tier: number;
  image: { ref: string; build?: BuildSpec };
  containerNames: string[];
  /** Networks to join, engine-level names, with this service's aliases on each. */
  networks: { name: string; aliases: string[]; ipv4Address?: string; ipv6Address?: string }[];
  /** Some dependent waits for this service to exit 0, so readiness means completion. */
  mustComplete: boolean;
}

export const DEFAULT_NETWORK = 'default';

/** Engine-level names carry the run id, so concurrent runs of one manifest never collide. */
export function engineName(runId: string, topology: string, key: string): string {
  return `sc-${runId}-${topology}_${key}`.toLowerCase();
}

export function containerName(
  runId: string,
  topology: string,
  service: string,
  replica: number,
): string {
  return `sc-${runId}-${topology}-${service}-${replica}`.toLowerCase();
}

export function buildTag(topology: string, service: ServiceSpec): string {
  return service.image ?? `stackcheck-${topology}-${service.name}`.toLowerCase();
}

export function plan(suite: Suite, runId: string): Plan {
  const problems: Problem[] = [];
  const waiting = suite.topologies.flatMap((t) =>
    (t.dependsOn ?? []).map((d) => ({ by: `${t.name}/${d.service}`, on: d.on })),
  );
  const topologies = suite.topologies.map((t) => planTopology(t, runId, problems, waiting));
  if (problems.length) throw new UserError(problems);
  return { runId, topologies };
}

function planTopology(
  t: TopologySpec,
  runId: string,
  problems: Problem[],
  waiting: { by: string; on: CrossDependency['on'] }[],
): TopologyPlan {
  const project = t.project;
  const order = topoSort(t, problems);
  const usesDefault = Object.values(project.services).some(
    (s) => !s.networkMode && Object.keys(s.networks).length === 0,
  );
  const networkSpecs = { ...project.networks };
  if (usesDefault && !networkSpecs[DEFAULT_NETWORK]) {
    networkSpecs[DEFAULT_NETWORK] = {
      name: DEFAULT_NETWORK,
      driverOpts: {},
      internal: false,
      attachable: false,
      enableIpv6: false,
      labels: {},
      external: false,
      pos: t.pos,
    };
  }
  const networks = Object.entries(networkSpecs).map(([key, spec]) => ({
    key,
    engineName: spec.external ? (spec.externalName ?? key) : engineName(runId, t.name, key),
    spec,
    create: !spec.external,
  }));
  const netName = new Map(networks.map((n) => [n.key, n.engineName]));
  const volumes = Object.entries(project.volumes).map(([key, spec]) => ({
    key,
    engineName: spec.external ? (spec.externalName ?? key) : engineName(runId, t.name, key),
    spec,
    create: !spec.external,
  }));

  const mustComplete = new Set(
    Object.values(project.services).flatMap((s) =>
      Object.entries(s.dependsOn)
        .filter(([, d]) => d.condition === 'service_completed_successfully')
        .map(([name]) => name),
    ),
  );
  for (const name of t.awaitedToComplete ?? []) mustComplete.add(name);
  // compose `links` on user networks: the linked service is also reachable under the alias.
  const linkAliases = new Map<string, string[]>();
  for (const s of Object.values(project.services)) {
    for (const l of s.links)
      if (l.alias !== l.service)
        linkAliases.set(l.service, [...(linkAliases.get(l.service) ?? []), l.alias]);
  }
  const tiers = new Map<string, number>();
  const services = order.map((name): ServicePlan => {
    const s = project.services[name]!;
    const deps = Object.entries(s.dependsOn).map(([service, d]) => ({
      service,
      condition: d.condition,
    }));
    const tier = deps.length ? 1 + Math.max(...deps.map((d) => tiers.get(d.service) ?? 0)) : 0;
    tiers.set(name, tier);
    const joined = Object.keys(s.networks).length
      ? s.networks
      : { [DEFAULT_NETWORK]: { aliases: [] } };
    return {
      topology: t.name,
      node: t.node,
      spec: s,
      deps,
      crossDeps: (t.dependsOn ?? []).filter((d) => d.service === name),
      dependents: Object.values(project.services)
        .filter((o) => name in o.dependsOn)
        .map((o) => o.name),
      crossDependents: waiting
        .filter((w) => w.on.topology === t.name && w.on.service === name)
        .map((w) => w.by),
      tier,
      image: s.build ? { ref: buildTag(t.name, s), build: s.build } : { ref: s.image! },
      containerNames: Array.from({ length: s.replicas }, (_, i) =>
        containerName(runId, t.name, name, i + 1),
      ),
      networks: s.networkMode
        ? []
        : Object.entries(joined).map(([key, n]) => ({
            name: netName.get(key) ?? key,
            // Peers find a service by its name, as in compose; container_name and link aliases too.
            aliases: [
              ...new Set([
                name,
                ...(s.containerName ? [s.containerName] : []),
                ...n.aliases,
                ...(linkAliases.get(name) ?? []),
              ]),
            ],
            ipv4Address: n.ipv4Address,
            ipv6Address: n.ipv6Address,
          })),
      mustComplete: mustComplete.has(name),
    };
  });
  return { spec: t, services, networks, volumes };
}

/** Services in dependency order; a cycle is reported with its path, at the edge that closes it. */
function topoSort(t: TopologySpec, problems: Problem[]): string[] {
  const services = t.project.services;
  const state = new Map<string, 'visiting' | 'done'>();
  const order: string[] = [];
  const visit = (name: string, path: string[]): void => {
    if (state.get(name) === 'done') return;
    if (state.get(name) === 'visiting') {
      const cycle = [...path.slice(path.indexOf(name)), name];
      const from = path.at(-1)!;
      problems.push({
        message: `dependency cycle in topology "${t.name}": ${cycle.join(' → ')}`,
        pos: services[from]!.dependsOn[name]!.pos,
        hint: 'Remove one of these depends_on entries; a service cannot wait, even indirectly, for itself.',
      });
      return;
    }
    state.set(name, 'visiting');
    for (const dep of Object.keys(services[name]!.dependsOn))
      if (services[dep]) visit(dep, [...path, name]);
    state.set(name, 'done');
    order.push(name);
  };
  for (const name of Object.keys(services)) visit(name, []);
  return order;
}
