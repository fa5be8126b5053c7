import type {
  CreateNetworkRequest,
  CreateVolumeRequest,
  LabelFilter,
  NetworkOps,
  ResourceRef,
  VolumeOps,
} from '../engine.js';
import { EngineError } from '../errors.js';
import { matches, type FakeState } from './model.js';

/** Networks in the fake. */
export class FakeNetworks implements NetworkOps {
  constructor(private readonly s: FakeState) {}

  createNetwork(req: CreateNetworkRequest): Promise<string> {
    return this.s.call('createNetwork', req.name, () => {
      if (this.s.findNetwork(req.name))
        throw new EngineError('conflict', `network with name ${req.name} already exists`);
      const id = this.s.newId(req.name);
      this.s.networkMap.set(id, {
        id,
        name: req.name,
        labels: { ...req.spec.labels, ...req.labels },
      });
      return id;
    });
  }

  networkExists(name: string): Promise<boolean> {
    return this.s.call('networkExists', name, () => this.s.findNetwork(name) !== undefined);
  }

  removeNetwork(id: string): Promise<void> {
    return this.s.call('removeNetwork', this.s.findNetwork(id)?.name ?? id, () => {
      const n = this.s.findNetwork(id);
      if (!n) return;
      const attached = this.s
        .containers()
        .filter(
          (c) => c.networks.includes(n.name) && (c.status === 'running' || c.status === 'paused'),
        );
      if (attached.length)
        throw new EngineError(
          403,
          `error while removing network: network ${n.name} id ${n.id} has active endpoints`,
        );
      this.s.networkMap.delete(n.id);
    });
  }

  listNetworks(labels: LabelFilter): Promise<ResourceRef[]> {
    return this.s.call('listNetworks', '', () =>
      [...this.s.networkMap.values()]
        .filter((n) => matches(n.labels, labels))
        .map((n) => ({ ...n })),
    );
  }
}

/** Volumes in the fake. */
export class FakeVolumes implements VolumeOps {
  constructor(private readonly s: FakeState) {}

  createVolume(req: CreateVolumeRequest): Promise<string> {
    return this.s.call('createVolume', req.name, () => {
      if (!this.s.volumeMap.has(req.name))
        this.s.volumeMap.set(req.name, {
          id: req.name,
          name: req.name,
          labels: { ...req.spec.labels, ...req.labels },
        });
      return req.name;
    });
  }

  removeVolume(name: string): Promise<void> {
    return this.s.call('removeVolume', name, () => {
      if (!this.s.volumeMap.has(name)) return;
      const user = this.s.containers().find((c) => c.volumes.includes(name));
      if (user)
        throw new EngineError('conflict', `remove ${name}: volume is in use - [${user.id}]`);
      this.s.volumeMap.delete(name);
    });
  }

  listVolumes(labels: LabelFilter): Promise<ResourceRef[]> {
    return this.s.call('listVolumes', '', () =>
      [...this.s.volumeMap.values()]
        .filter((v) => matches(v.labels, labels))
        .map((v) => ({ ...v })),
    );
  }
}
