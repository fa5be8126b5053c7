import type { TopologySpec } from './suite.js';
import { resolveServiceRef, type RefScope } from './refs.js';
import { isLoopback } from '../common/host-address.js';

/** A connection a check makes from inside a service to another service's container port. */
export interface ProbeRoute {
  from: string;
  to: string;
  port: number;
  /** Where the target is named inside the check entry, for the error position. */
  path: (string | number)[];
}

/**
 * Why a probe from one service can never reach another's container port, read off the compose
 * models before anything starts; undefined when it can, or when only the running containers
 * can tell (attached stacks, shared namespaces). Mirrors Runtime.peerAddresses: a service of
 * another topology is reached on a network both join (only an external network can be shared
 * by two compose projects), else at the port it publishes.
 */
export function unaddressable(suite: RefScope, route: ProbeRoute): string | undefined {
  const from = locate(suite, route.from);
  const to = locate(suite, route.to);
  if (!from || !to || from.topology === to.topology) return undefined;
  if (from.topology.attach || to.topology.attach) return undefined;
  const fromService = from.topology.project.services[from.service]!;
  const toService = to.topology.project.services[to.service]!;
  if (fromService.networkMode || toService.networkMode) return undefined;
  const published = toService.ports.some(
    (p) => p.target === route.port && p.protocol === 'tcp' && !isLoopback(p.hostIp ?? ''),
  );
  if (published) return undefined;
  const sameNode = from.topology.node === to.topology.node;
  if (sameNode && sharesExternalNetwork(from.topology, from.service, to.topology, to.service))
    return undefined;
  const target = `${route.to}:${route.port}`;
  return sameNode
    ? `${target} is in another compose project than ${route.from}: it shares no network with it and does not publish container port ${route.port}, so nothing reaches it from there (its bare name would name nothing, or a namesake in ${from.topology.name}); publish the port in its compose file, or join both services to one external network`
    : `${target} is on node ${to.topology.node} and ${route.from} on node ${from.topology.node}: containers on two engines meet only at published ports, and container port ${route.port} is not published on a reachable address; publish it in compose (ports: ["${route.port}"])`;
}

function locate(suite: RefScope, ref: string) {
  const r = resolveServiceRef(suite, ref);
  if (typeof r === 'string') return undefined;
  return { topology: suite.topologies.find((t) => t.name === r.topology)!, service: r.service };
}

function sharesExternalNetwork(a: TopologySpec, as: string, b: TopologySpec, bs: string): boolean {
  const mine = new Set(externalNetworks(a, as));
  return externalNetworks(b, bs).some((n) => mine.has(n));
}

/** The engine names of the external networks a service joins (its project's default one may be). */
function externalNetworks(t: TopologySpec, service: string): string[] {
  const joined = Object.keys(t.project.services[service]!.networks);
  return (joined.length ? joined : ['default']).flatMap((key) => {
    const n = t.project.networks[key];
    return n?.external ? [n.externalName ?? key] : [];
  });
}
