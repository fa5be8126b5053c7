import type Docker from 'dockerode';
import type {
  CreateNetworkRequest,
  CreateVolumeRequest,
  LabelFilter,
  NetworkOps,
  ResourceRef,
  VolumeOps,
} from '../engine.js';
import { found, idempotent, sealed } from './call.js';
import type { DockerContext } from './context.js';
import { abortable, labelFilters } from './wire.js';

/** Networks. */
export class DockerNetworks implements NetworkOps {
  constructor(private readonly ctx: DockerContext) {}

  createNetwork(req: CreateNetworkRequest, signal?: AbortSignal): Promise<string> {
    const s = req.spec;
    return sealed(this.ctx.node, async () => {
      const net = await this.ctx.docker.createNetwork({
        Name: req.name,
        Driver: s.driver ?? 'bridge',
        Options: s.driverOpts,
        Internal: s.internal,
        Attachable: s.attachable,
        EnableIPv6: s.enableIpv6,
        CheckDuplicate: true,
        Labels: { ...s.labels, ...req.labels },
        IPAM: s.ipam && {
          Driver: s.ipam.driver ?? 'default',
          Config: s.ipam.config.map((c) => ({
            Subnet: c.subnet,
            Gateway: c.gateway,
            IPRange: c.ipRange,
          })),
        },
        abortSignal: signal,
      } as Docker.NetworkCreateOptions);
      return net.id;
    });
  }

  networkExists(name: string, signal?: AbortSignal): Promise<boolean> {
    return found(this.ctx.node, () =>
      abortable(signal, this.ctx.docker.getNetwork(name).inspect()),
    );
  }

  removeNetwork(id: string, signal?: AbortSignal): Promise<void> {
    return idempotent(this.ctx.node, () =>
      this.ctx.docker.getNetwork(id).remove({ abortSignal: signal }),
    );
  }

  listNetworks(labels: LabelFilter, signal?: AbortSignal): Promise<ResourceRef[]> {
    return sealed(this.ctx.node, async () => {
      const list = await this.ctx.docker.listNetworks({
        filters: { label: labelFilters(labels) },
        abortSignal: signal,
      });
      return list.map((n) => ({ id: n.Id, name: n.Name, labels: n.Labels ?? {} }));
    });
  }
}

/** Volumes. */
export class DockerVolumes implements VolumeOps {
  constructor(private readonly ctx: DockerContext) {}

  createVolume(req: CreateVolumeRequest, signal?: AbortSignal): Promise<string> {
    return sealed(this.ctx.node, async () => {
      await this.ctx.docker.createVolume({
        Name: req.name,
        Driver: req.spec.driver ?? 'local',
        DriverOpts: req.spec.driverOpts,
        Labels: { ...req.spec.labels, ...req.labels },
        abortSignal: signal,
      });
      return req.name;
    });
  }

  removeVolume(name: string, signal?: AbortSignal): Promise<void> {
    return idempotent(this.ctx.node, () =>
      this.ctx.docker.getVolume(name).remove({ abortSignal: signal }),
    );
  }

  listVolumes(labels: LabelFilter, signal?: AbortSignal): Promise<ResourceRef[]> {
    return sealed(this.ctx.node, async () => {
      const res = await this.ctx.docker.listVolumes({
        filters: { label: labelFilters(labels) },
        abortSignal: signal,
      });
      return (res.Volumes ?? []).map((v) => ({
        id: v.Name,
        name: v.Name,
        labels: v.Labels ?? {},
      }));
    });
  }
}
