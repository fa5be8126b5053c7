import { basename } from 'node:path';
import type {
  ComposeProject,
  HealthcheckSpec,
  MountSpec,
  NetworkSpec,
  PortSpec,
  ServiceSpec,
  VolumeSpec,
} from './model.js';

/*
 * The loaded project written back in compose's own shape: the shape of `docker compose config
 * --format json` (compose v2), so a user can diff what stackcheck will run against what
 * compose would. Only what stackcheck keeps is written; defaults are written the way compose
 * writes them (ports in long form with `published` as text, durations in Go's notation,
 * `networks: { default: null }` for a service on the default network).
 */

type Json = Record<string, unknown>;

/** Go's time.Duration text ("1m30s", "500ms", "1h0m0s"), as compose prints durations. */
export function goDuration(ms: number): string {
  if (ms === 0) return '0s';
  if (ms < 1000) return `${ms}ms`;
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = (ms % 60_000) / 1000;
  const sec = `${Number.isInteger(s) ? s : s.toFixed(3).replace(/0+$/, '')}s`;
  if (h > 0) return `${h}h${m}m${sec}`;
  if (m > 0) return `${m}m${sec}`;
  return sec;
}

/** compose's rule for a project name taken from a folder: lower case, [a-z0-9_-] only. */
export function projectName(project: ComposeProject): string {
  return (
    project.name ??
    basename(project.projectDir)
      .toLowerCase()
      .replace(/[^a-z0-9_-]/g, '')
      .replace(/^[_-]+/, '')
  );
}

/** Drops undefined values, and empty lists and maps where compose leaves the key out. */
function compact(o: Json): Json {
  return Object.fromEntries(
    Object.entries(o).filter(([, v]) => {
      if (v === undefined) return false;
      if (Array.isArray(v)) return v.length > 0;
      if (v && typeof v === 'object') return Object.keys(v).length > 0;
      return true;
    }),
  );
}

function port(p: PortSpec): Json {
  return compact({
    name: p.name,
    mode: 'ingress',
    host_ip: p.hostIp,
    target: p.target,
    published:
      p.published === undefined
        ? undefined
        : p.publishedEnd !== undefined
          ? `${p.published}-${p.publishedEnd}`
          : String(p.published),
    protocol: p.protocol,
    app_protocol: p.appProtocol,
  });
}

function mount(m: MountSpec): Json {
  switch (m.type) {
    case 'bind':
      return compact({
        type: 'bind',
        source: m.source,
        target: m.target,
        read_only: m.readOnly || undefined,
        bind: compact({ propagation: m.propagation, create_host_path: m.createHostPath }),
      });
    case 'volume':
      return compact({
        type: 'volume',
        source: m.source,
        target: m.target,
        read_only: m.readOnly || undefined,
        volume: compact({ nocopy: m.noCopy || undefined }),
      });
    case 'tmpfs':
      return compact({
        type: 'tmpfs',
        target: m.target,
        tmpfs: compact({ size: m.sizeBytes, mode: m.mode }),
      });
  }
}

function healthcheck(h: HealthcheckSpec): Json {
  if (h.disable) return { disable: true };
  const d = (ms: number | undefined) => (ms === undefined ? undefined : goDuration(ms));
  return compact({
    test: h.test,
    timeout: d(h.timeoutMs),
    interval: d(h.intervalMs),
    retries: h.retries,
    start_period: d(h.startPeriodMs),
    start_interval: d(h.startIntervalMs),
  });
}

function restart(r: NonNullable<ServiceSpec['restart']>): string {
  return r.policy === 'on-failure' && r.maxRetries ? `on-failure:${r.maxRetries}` : r.policy;
}

function networks(s: ServiceSpec): Json | undefined {
  if (s.networkMode !== undefined) return undefined;
  const entries = Object.entries(s.networks);
  if (entries.length === 0) return { default: null };
  return Object.fromEntries(
    entries.map(([name, n]) => {
      const body = compact({
        aliases: n.aliases,
        ipv4_address: n.ipv4Address,
        ipv6_address: n.ipv6Address,
        priority: n.priority,
      });
      return [name, Object.keys(body).length ? body : null];
    }),
  );
}

function deploy(s: ServiceSpec): Json {
  const r = s.resources;
  const devices = r.reservations.devices.map((d) =>
    compact({
      driver: d.driver,
      count: d.count,
      device_ids: d.deviceIds,
      capabilities: d.capabilities,
      options: d.options,
    }),
  );
  return compact({
    replicas: s.replicas === 1 ? undefined : s.replicas,
    resources: compact({
      limits: compact({
        cpus: r.limits.cpus === undefined ? undefined : String(r.limits.cpus),
        memory: r.limits.memoryBytes,
        pids: r.limits.pids,
      }),
      reservations: compact({
        cpus: r.reservations.cpus === undefined ? undefined : String(r.reservations.cpus),
        memory: r.reservations.memoryBytes,
        devices,
      }),
    }),
  });
}

function service(s: ServiceSpec): Json {
  const mounts = s.mounts.map(mount);
  const out = compact({
    build: s.build && {
      context: s.build.context,
      dockerfile: s.build.dockerfile,
      ...compact({ args: s.build.args, target: s.build.target, labels: s.build.labels }),
    },
    cap_add: s.capAdd,
    cap_drop: s.capDrop,
    cgroup_parent: s.cgroupParent,
    command: s.command ?? null,
    container_name: s.containerName,
    depends_on: Object.fromEntries(
      Object.entries(s.dependsOn).map(([name, d]) => [
        name,
        { condition: d.condition, ...(d.restart ? { restart: true } : {}), required: d.required },
      ]),
    ),
    deploy: deploy(s),
    develop: s.develop,
    devices: s.devices.map((d) => ({
      source: d.source,
      target: d.target,
      permissions: d.permissions,
    })),
    dns: s.dns,
    dns_opt: s.dnsOpt,
    dns_search: s.dnsSearch,
    domainname: s.domainname,
    entrypoint: s.entrypoint ?? null,
    environment: s.environment,
    expose: s.expose.map((e) =>
      e.protocol === 'tcp' ? String(e.port) : `${e.port}/${e.protocol}`,
    ),
    extra_hosts: s.extraHosts,
    group_add: s.groupAdd,
    healthcheck: s.healthcheck && healthcheck(s.healthcheck),
    hostname: s.hostname,
    image: s.image,
    init: s.init,
    ipc: s.ipc,
    labels: s.labels,
    links: s.links.map((l) => (l.alias === l.service ? l.service : `${l.service}:${l.alias}`)),
    logging: s.logging && compact({ driver: s.logging.driver, options: s.logging.options }),
    mac_address: s.macAddress,
    network_mode: s.networkMode,
    networks: networks(s),
    pid: s.pid,
    platform: s.platform,
    ports: s.ports.map(port),
    privileged: s.privileged || undefined,
    profiles: s.profiles,
    pull_policy: s.pullPolicy,
    read_only: s.readOnly || undefined,
    restart: s.restart && restart(s.restart),
    runtime: s.runtime,
    security_opt: s.securityOpt,
    shm_size: s.shmSizeBytes,
    stdin_open: s.stdinOpen || undefined,
    stop_grace_period:
      s.stopGracePeriodMs === undefined ? undefined : goDuration(s.stopGracePeriodMs),
    stop_signal: s.stopSignal,
    storage_opt: s.storageOpt,
    sysctls: s.sysctls,
    tty: s.tty || undefined,
    ulimits: Object.fromEntries(s.ulimits.map((u) => [u.name, { soft: u.soft, hard: u.hard }])),
    user: s.user,
    userns_mode: s.usernsMode,
    uts: s.uts,
    volumes: mounts,
    volumes_from: s.volumesFrom?.map(
      (v) => (v.service ?? `container:${v.container}`) + (v.readOnly ? ':ro' : ''),
    ),
    working_dir: s.workingDir,
    ...s.extensions,
  });
  // An empty command or entrypoint is written ([]): it clears the image's, unlike an absent one.
  return { ...out, command: s.command ?? null, entrypoint: s.entrypoint ?? null };
}

function network(n: NetworkSpec, project: string): Json {
  if (n.external) return { name: n.externalName ?? n.name, external: true };
  return compact({
    name: `${project}_${n.name}`,
    driver: n.driver,
    driver_opts: n.driverOpts,
    ipam: n.ipam
      ? compact({
          driver: n.ipam.driver,
          config: n.ipam.config.map((c) =>
            compact({ subnet: c.subnet, gateway: c.gateway, ip_range: c.ipRange }),
          ),
        })
      : undefined,
    internal: n.internal || undefined,
    attachable: n.attachable || undefined,
    enable_ipv6: n.enableIpv6 || undefined,
    labels: n.labels,
  });
}

function volume(v: VolumeSpec, project: string): Json {
  if (v.external) return { name: v.externalName ?? v.name, external: true };
  return compact({
    name: `${project}_${v.name}`,
    driver: v.driver,
    driver_opts: v.driverOpts,
    labels: v.labels,
  });
}

/** compose writes a literal `$` as `$$`, so that its output reads back as the same values. */
function escapeDollars(v: unknown): unknown {
  if (typeof v === 'string') return v.replaceAll('$', '$$$$');
  if (Array.isArray(v)) return v.map(escapeDollars);
  if (v && typeof v === 'object')
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, escapeDollars(x)]));
  return v;
}

/** The project in the shape of `docker compose config --format json`. */
export function toComposeJson(project: ComposeProject): Json {
  const name = projectName(project);
  return compact({
    name,
    networks: Object.fromEntries(
      Object.entries(project.networks).map(([k, n]) => [k, network(n, name)]),
    ),
    services: Object.fromEntries(
      Object.entries(project.services).map(([k, s]) => [k, escapeDollars(service(s))]),
    ),
    volumes: Object.fromEntries(
      Object.entries(project.volumes).map(([k, v]) => [k, volume(v, name)]),
    ),
  });
}
