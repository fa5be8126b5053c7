import type { CreateContainerRequest } from '../engine/engine.js';
import { LABEL } from './labels.js';
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
    service:
      withoutGpu === undefined
        ? sp.spec
        : { ...sp.spec, resources: { ...r, reservations: { ...r.reservations, devices: [] } } },
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
