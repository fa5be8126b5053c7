import type { ServiceLayer } from './layer.js';
import type { MergedProject } from './merge.js';
import type { DependsOn } from './model.js';
import type { LoadContext } from './node.js';
import { sharedTargets } from './normalize-namespaces.js';
import { checkTarget } from './references.js';

/*
 * What compose does with a service that shares another's namespaces or volumes, once the
 * project is merged: each such service becomes a dependency (service_started, and `restart:
 * true` for a namespace, as compose-go's normaliser adds it), and a container that joins
 * another's network cannot publish ports or set its own name resolution: the engine refuses
 * those at create ("conflicting options"), so they are refused here, at the line.
 */

/** Engine options that belong to the network namespace a container joins, by compose key. */
const NETWORK_OWNED: [keyof ServiceLayer, string][] = [
  ['ports', 'ports'],
  ['expose', 'expose'],
  ['hostname', 'hostname'],
  ['dns', 'dns'],
  ['extraHosts', 'extra_hosts'],
  ['macAddress', 'mac_address'],
];

function present(v: unknown): boolean {
  if (v === undefined) return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object' && v !== null) return Object.keys(v).length > 0;
  return true;
}

function checkJoinedNetwork(s: ServiceLayer, ctx: LoadContext): void {
  if (!/^(service|container):/.test(s.networkMode ?? '')) return;
  for (const [field, key] of NETWORK_OWNED) {
    if (!present(s[field])) continue;
    const pos =
      field === 'ports' ? (s.ports?.[0]?.pos ?? s.pos) : (s.sharedAt?.network_mode ?? s.pos);
    // A warning, as compose's config takes the file: it is the engine that refuses the
    // container at create (Docker: "conflicting options"), and the run reports that there.
    ctx.warnings.push({
      message:
        `service "${s.name}" joins the network of "${s.networkMode}" and sets ${key}: the engine refuses both (conflicting options), as with docker compose up; ` +
        (key === 'ports' || key === 'expose'
          ? 'publish the port on the service whose network it joins, which reaches the same sockets'
          : `set ${key} on the service whose network it joins`),
      pos,
    });
  }
}

/** The implied dependencies of `s` on the services whose namespaces or volumes it uses. */
export function sharedDependencies(
  s: ServiceLayer,
  project: MergedProject,
  active: Set<string>,
  ctx: LoadContext,
): Record<string, DependsOn> {
  checkJoinedNetwork(s, ctx);
  // A build that names another service's image (additional_contexts: service:X) builds after it.
  for (const v of Object.values(s.build?.additionalContexts ?? {})) {
    const other = /^service:(.+)$/.exec(v)?.[1];
    if (other !== undefined)
      checkTarget(s, other, 'builds with the image of', s.build!.pos, project, active, ctx);
  }
  const out: Record<string, DependsOn> = {};
  for (const t of sharedTargets(s)) {
    if (!checkTarget(s, t.service, t.what, t.pos, project, active, ctx)) continue;
    if ((project.services.get(t.service)?.replicas ?? 1) === 0) {
      ctx.problems.add(
        t.pos,
        `service "${s.name}" ${t.what} "${t.service}", which has 0 replicas`,
        `Give "${t.service}" at least one replica: its first container is the one shared.`,
      );
      continue;
    }
    const prev = out[t.service];
    out[t.service] = {
      condition: 'service_started',
      required: true,
      ...((t.restart || prev?.restart) && { restart: true }),
      pos: prev?.pos ?? t.pos,
    };
  }
  return out;
}
