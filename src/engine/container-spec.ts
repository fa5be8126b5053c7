import type { ContainerCreateOptions, HostConfig, MountSettings } from 'dockerode';
import type { MountSpec, ServiceSpec } from '../compose/model.js';
import type { CreateContainerRequest } from './engine.js';

const NANO = 1e9;

/**
 * Translates a service into the Engine API's ContainerCreate body (API 1.41 and later;
 * HostConfig.Annotations needs 1.43, and older engines drop it).
 */
export function containerCreateBody(req: CreateContainerRequest): ContainerCreateOptions {
  const s = req.service;
  const exposed: Record<string, object> = {};
  const bindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
  for (const e of s.expose) exposed[`${e.port}/${e.protocol}`] = {};
  for (const p of s.ports) {
    const key = `${p.target}/${p.protocol}`;
    exposed[key] = {};
    const hostPort =
      req.ephemeralPorts || p.published === undefined
        ? ''
        : p.publishedEnd === undefined
          ? String(p.published)
          : `${p.published}-${p.publishedEnd}`;
    (bindings[key] ??= []).push({ HostIp: p.hostIp ?? '', HostPort: hostPort });
  }

  const [first] = req.networks;
  const hc = s.healthcheck;
  return {
    name: req.name,
    Image: req.image,
    Cmd: s.command,
    Entrypoint: s.entrypoint,
    Env: Object.entries(s.environment).map(([k, v]) => `${k}=${v}`),
    Labels: { ...s.labels, ...req.labels },
    User: s.user,
    WorkingDir: s.workingDir,
    Hostname: s.hostname,
    Domainname: s.domainname,
    Tty: s.tty,
    OpenStdin: s.stdinOpen,
    // The container-wide field: engines before API 1.44 know no other, later ones move it
    // to the endpoint of the first network.
    MacAddress: s.macAddress,
    StopSignal: s.stopSignal,
    StopTimeout:
      s.stopGracePeriodMs === undefined ? undefined : Math.ceil(s.stopGracePeriodMs / 1000),
    ExposedPorts: exposed,
    Healthcheck:
      hc === undefined
        ? undefined
        : hc.disable
          ? { Test: ['NONE'] }
          : {
              Test: hc.test,
              Interval: ns(hc.intervalMs),
              Timeout: ns(hc.timeoutMs),
              Retries: hc.retries,
              StartPeriod: ns(hc.startPeriodMs),
              ...(hc.startIntervalMs !== undefined && { StartInterval: ns(hc.startIntervalMs) }),
            },
    HostConfig: {
      PortBindings: bindings,
      NetworkMode: s.networkMode ?? first?.name,
      RestartPolicy: s.restart
        ? {
            Name: s.restart.policy === 'no' ? '' : s.restart.policy,
            MaximumRetryCount: s.restart.maxRetries ?? 0,
          }
        : undefined,
      // The legacy Binds form creates a missing host path, as compose's short syntax promises.
      Binds: s.mounts.flatMap((m) =>
        m.type === 'bind' && m.createHostPath
          ? [
              `${m.source}:${m.target}:${m.readOnly ? 'ro' : 'rw'}${m.propagation ? `,${m.propagation}` : ''}`,
            ]
          : [],
      ),
      Mounts: s.mounts
        .filter((m) => !(m.type === 'bind' && m.createHostPath))
        .map((m) => mount(m, req.volumeNames)),
      ReadonlyRootfs: s.readOnly,
      Privileged: s.privileged,
      CapAdd: s.capAdd,
      CapDrop: s.capDrop,
      ExtraHosts: s.extraHosts,
      Init: s.init,
      Ulimits: s.ulimits.map((u) => ({ Name: u.name, Soft: u.soft, Hard: u.hard })),
      Dns: s.dns,
      ShmSize: s.shmSizeBytes,
      Sysctls: s.sysctls,
      SecurityOpt: s.securityOpt,
      ...resources(s),
      ...hostOptions(s),
    },
    NetworkingConfig:
      first && !s.networkMode
        ? {
            EndpointsConfig: {
              [first.name]: {
                Aliases: first.aliases,
                ...(first.ipv4Address || first.ipv6Address
                  ? {
                      IPAMConfig: {
                        IPv4Address: first.ipv4Address,
                        IPv6Address: first.ipv6Address,
                      },
                    }
                  : {}),
              },
            },
          }
        : undefined,
  };
}

/** Limits, reservations, GPU requests and host devices. */
function resources(s: ServiceSpec): HostConfig {
  const r = s.resources;
  return {
    NanoCpus: r.limits.cpus === undefined ? undefined : Math.round(r.limits.cpus * NANO),
    CpuShares: r.cpuShares,
    CpuPeriod: r.cpuPeriodUs,
    CpuQuota: r.cpuQuotaUs,
    CpusetCpus: r.cpuset,
    Memory: r.limits.memoryBytes,
    MemorySwap: r.limits.memorySwapBytes,
    MemoryReservation: r.reservations.memoryBytes,
    MemorySwappiness: r.memorySwappiness,
    OomKillDisable: r.oomKillDisable,
    OomScoreAdj: r.oomScoreAdj,
    PidsLimit: r.limits.pids,
    DeviceRequests: r.reservations.devices.map((d) => ({
      Driver: d.driver ?? '',
      Count: d.count ?? (d.deviceIds ? 0 : -1),
      DeviceIDs: d.deviceIds,
      Capabilities: [d.capabilities],
      Options: d.options ?? {},
    })),
    Devices: s.devices.map((d) => ({
      PathOnHost: d.source,
      PathInContainer: d.target,
      CgroupPermissions: d.permissions,
    })),
  };
}

/** Runtime, logging, DNS, groups, namespaces and storage. */
function hostOptions(s: ServiceSpec): HostConfig & { Annotations?: Record<string, string> } {
  return {
    Runtime: s.runtime,
    LogConfig: s.logging && { Type: s.logging.driver ?? '', Config: s.logging.options },
    DnsSearch: s.dnsSearch,
    DnsOptions: s.dnsOpt,
    GroupAdd: s.groupAdd,
    // `service:X` arrives resolved to `container:<name>` (orchestrator/replica-request.ts).
    PidMode: s.pid,
    IpcMode: s.ipc,
    VolumesFrom: (s.volumesFrom ?? []).flatMap((v) =>
      v.container === undefined ? [] : [`${v.container}:${v.readOnly ? 'ro' : 'rw'}`],
    ),
    UTSMode: s.uts,
    UsernsMode: s.usernsMode,
    CgroupParent: s.cgroupParent,
    ...(Object.keys(s.storageOpt).length > 0 ? { StorageOpt: s.storageOpt } : {}),
    ...(Object.keys(s.annotations).length > 0 ? { Annotations: s.annotations } : {}),
  };
}

function ns(ms: number | undefined): number | undefined {
  return ms === undefined ? undefined : Math.round(ms * 1e6);
}

function mount(m: MountSpec, volumeNames: Record<string, string>): MountSettings {
  switch (m.type) {
    case 'bind':
      return {
        Type: 'bind' as const,
        Source: m.source,
        Target: m.target,
        ReadOnly: m.readOnly,
        ...(m.propagation && {
          BindOptions: { Propagation: m.propagation } as MountSettings['BindOptions'],
        }),
      };
    case 'volume':
      return {
        Type: 'volume' as const,
        // An anonymous volume has no source; the engine names it.
        Source: m.source === undefined ? '' : (volumeNames[m.source] ?? m.source),
        Target: m.target,
        ReadOnly: m.readOnly,
        VolumeOptions: { NoCopy: m.noCopy } as MountSettings['VolumeOptions'],
      };
    case 'tmpfs':
      return {
        Type: 'tmpfs',
        Source: '',
        Target: m.target,
        TmpfsOptions: { SizeBytes: m.sizeBytes, Mode: m.mode } as MountSettings['TmpfsOptions'],
      };
  }
}
