import type { ServiceSpec, SharedRef } from '../compose/model.js';
import type { CreateContainerRequest } from '../engine/engine.js';
import { LABEL } from '../common/labels.js';
import type { ServicePlan, TopologyPlan } from './plan.js';

/** The labels on everything a run creates for a topology (its networks, volumes, containers). */
export function topologyLabels(
  run: Record<string, string>,
  tp: TopologyPlan,
  extra: Record<string, string> = {},
): Record<string, string> {
  return { ...run, [LABEL.topology]: tp.spec.name, [LABEL.node]: tp.spec.node, ...extra };
}

/**
 * How one replica (1-based) of a service is created: the same request at bring-up and when a
 * scenario recreates it, so a recreated container is indistinguishable from the original.
 * `withoutGpu` (why) drops its device requests, for an engine that cannot give GPUs.
 */
export function replicaRequest(
  tp: TopologyPlan,
  sp: ServicePlan,
  replica: number,
  run: Record<string, string>,
  withoutGpu?: string,
): CreateContainerRequest {
  const r = sp.spec.resources;
  return {
    name: sp.containerNames[replica - 1]!,
    image: sp.image.ref,
    service: sharedResolved(
      tp,
      withoutGpu === undefined
        ? sp.spec
        : { ...sp.spec, resources: { ...r, reservations: { ...r.reservations, devices: [] } } },
    ),
    labels: topologyLabels(run, tp, {
      [LABEL.service]: sp.spec.name,
      [LABEL.replica]: String(replica),
      ...(withoutGpu !== undefined && { [LABEL.withoutGpu]: withoutGpu }),
    }),
    networks: sp.networks,
    volumeNames: Object.fromEntries(tp.volumes.map((v) => [v.key, v.engineName])),
    ephemeralPorts: tp.spec.publish === 'ephemeral',
  };
}

/**
 * Whether the service joins another container's namespace or mounts its volumes: the engine
 * needs that container to exist when this one is created, so it is created after it starts.
 */
export function sharesAnother(s: ServiceSpec): boolean {
  const joins = (v: string | undefined) => /^(service|container):/.test(v ?? '');
  return joins(s.networkMode) || joins(s.ipc) || joins(s.pid) || (s.volumesFrom ?? []).length > 0;
}

/**
 * `service:X` (network_mode, ipc, pid, volumes_from) as the Engine API takes it: the name of
 * X's first container in this run, as compose uses X's first container. A name rather than an
 * id: the engine resolves it when the container starts, so a service restarted after a
 * scenario recreated X joins the new X.
 */
function sharedResolved(tp: TopologyPlan, s: ServiceSpec): ServiceSpec {
  if (!sharesAnother(s)) return s;
  const first = (service: string): string => {
    const target = tp.services.find((p) => p.spec.name === service);
    // Load-time checks guarantee the service exists and runs; this is a broken invariant.
    if (!target?.containerNames[0])
      throw new Error(`no container of service "${service}" to share`);
    return target.containerNames[0];
  };
  const ref = <T extends string | undefined>(v: T): T | SharedRef => {
    const m = /^service:(.+)$/.exec(v ?? '');
    return m ? `container:${first(m[1]!)}` : v;
  };
  return {
    ...s,
    ...(s.networkMode !== undefined && { networkMode: ref(s.networkMode) }),
    ...(s.ipc !== undefined && { ipc: ref(s.ipc) }),
    ...(s.pid !== undefined && { pid: ref(s.pid) }),
    ...(s.volumesFrom && {
      volumesFrom: s.volumesFrom.map((v) =>
        v.service === undefined
          ? v
          : { container: first(v.service), readOnly: v.readOnly, pos: v.pos },
      ),
    }),
  };
}
