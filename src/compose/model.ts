import type { SourcePos } from '../common/errors.js';

/**
 * The compose project after loading, merging, interpolation and normalisation: every field
 * the engine needs, in one canonical form, with the position of what the user wrote so
 * errors and reports can point at it. Keys that stackcheck does not support never reach
 * this model: the loader rejects them.
 */
export interface ComposeProject {
  /** Directory that relative paths were resolved against (the first compose file's folder). */
  projectDir: string;
  /** compose's top-level `name:`, when a file sets one. */
  name?: string;
  services: Record<string, ServiceSpec>;
  networks: Record<string, NetworkSpec>;
  volumes: Record<string, VolumeSpec>;
  /** Non-fatal notes for the user (an unset variable, an obsolete `version:` key). */
  warnings: { message: string; pos: SourcePos }[];
}

export type DependsCondition =
  'service_started' | 'service_healthy' | 'service_completed_successfully';

export interface DependsOn {
  condition: DependsCondition;
  /** compose `required: false`: a missing or disabled dependency is tolerated. */
  required: boolean;
  /** compose `restart: true`: restart this service when the dependency is restarted by an operation. */
  restart?: boolean;
  pos: SourcePos;
}

export interface PortSpec {
  /** Container port (a range is expanded into one PortSpec per port). */
  target: number;
  /** Host port; undefined means "any free port" (the engine picks). */
  published?: number;
  /**
   * Set when the host side is a range for one container port (`"8000-8010:80"`): the engine
   * picks a free port from `published`..`publishedEnd`.
   */
  publishedEnd?: number;
  hostIp?: string;
  protocol: 'tcp' | 'udp' | 'sctp';
  /** Long syntax `name:` and `app_protocol:`: documentation for reports, no effect on the engine. */
  name?: string;
  appProtocol?: string;
  pos: SourcePos;
}

export type HealthcheckSpec =
  | { disable: true; pos: SourcePos }
  | {
      disable: false;
      /** Docker's form: ['CMD', ...args] or ['CMD-SHELL', 'command']; undefined inherits the image's. */
      test?: string[];
      intervalMs?: number;
      timeoutMs?: number;
      retries?: number;
      startPeriodMs?: number;
      startIntervalMs?: number;
      pos: SourcePos;
    };

export interface ServiceNetwork {
  aliases: string[];
  ipv4Address?: string;
  ipv6Address?: string;
  priority?: number;
}

export type MountSpec =
  | {
      type: 'volume';
      source?: string;
      target: string;
      readOnly: boolean;
      noCopy: boolean;
      pos: SourcePos;
    }
  | {
      type: 'bind';
      source: string;
      target: string;
      readOnly: boolean;
      createHostPath: boolean;
      /** Mount propagation (rshared, rslave, ...); undefined is the engine's default (rprivate). */
      propagation?: string;
      pos: SourcePos;
    }
  | { type: 'tmpfs'; target: string; sizeBytes?: number; mode?: number; pos: SourcePos };

export interface DeviceRequestSpec {
  driver?: string;
  /** -1 means "all" (compose `count: all`). */
  count?: number;
  deviceIds?: string[];
  capabilities: string[];
  options?: Record<string, string>;
}

/** deploy.resources with compose's service-level resource keys folded in. */
export interface ResourcesSpec {
  limits: {
    /** deploy.resources.limits.cpus or `cpus`. */
    cpus?: number;
    /** deploy.resources.limits.memory or `mem_limit`. */
    memoryBytes?: number;
    /** deploy.resources.limits.pids or `pids_limit`; -1 is unlimited. */
    pids?: number;
    /** `memswap_limit`: memory plus swap; -1 is unlimited swap. */
    memorySwapBytes?: number;
  };
  reservations: {
    cpus?: number;
    /** deploy.resources.reservations.memory or `mem_reservation`. */
    memoryBytes?: number;
    /** deploy.resources.reservations.devices, then `gpus`. */
    devices: DeviceRequestSpec[];
  };
  /** `cpu_shares`: relative CPU weight. */
  cpuShares?: number;
  /** `cpu_period` and `cpu_quota`: the CFS period and quota, in microseconds. */
  cpuPeriodUs?: number;
  cpuQuotaUs?: number;
  /** `cpuset`: the CPUs the container may use, "0-3" or "0,1". */
  cpuset?: string;
  /** `mem_swappiness`: 0 to 100. */
  memorySwappiness?: number;
  oomKillDisable?: boolean;
  /** `oom_score_adj`: -1000 to 1000. */
  oomScoreAdj?: number;
}

/** A host device made available in the container (`devices`). */
export interface DeviceMappingSpec {
  /** Host path. */
  source: string;
  /** Path in the container. */
  target: string;
  /** cgroup permissions: some of r, w, m. */
  permissions: string;
}

/**
 * compose `links`. On user-defined networks a link is not Docker's legacy `--link`: it makes
 * the linked service a dependency (already added to `dependsOn`, condition service_started)
 * and makes it resolvable as `alias` from this service.
 */
export interface LinkSpec {
  service: string;
  /** The service name itself when the link gives no alias. */
  alias: string;
  pos: SourcePos;
}

export interface BuildSpec {
  /** Absolute path, or a git/http(s) URL that the engine fetches (`remote`). */
  context: string;
  remote?: boolean;
  /** Relative to the context, as Docker's build API expects. */
  dockerfile: string;
  /** `dockerfile_inline`: the Dockerfile's text, sent with the context instead of a file. */
  dockerfileInline?: string;
  args: Record<string, string>;
  target?: string;
  labels: Record<string, string>;
  /** `tags`: more names for the built image. */
  tags?: string[];
  /** Named contexts: an absolute folder, `docker-image://REF` or `service:NAME`. */
  additionalContexts?: Record<string, string>;
  /**
   * Build secrets: the top-level secret's name, the id `RUN --mount=type=secret` uses, and its
   * value: a host file or a text (`environment:`; masked in every report).
   */
  secrets?: { source: string; id: string; file?: string; text?: string }[];
  /** `default` (the runner's ssh agent) or `id=path` entries. */
  ssh?: string[];
  pos: SourcePos;
}

/**
 * A secret or config from `content:` or `environment:`, which compose copies into the container
 * after creating it (a file source is a bind mount instead). `secret`: its text is masked in
 * every report.
 */
export interface InjectedFile {
  target: string;
  /** Undefined when the variable `unset` names is not set: the service cannot start. */
  content?: string;
  unset?: string;
  /** Why it cannot be provided (an external secret, a file that is not there): nor can the service start. */
  unavailable?: string;
  mode: number;
  uid?: number;
  gid?: number;
  secret: boolean;
  pos: SourcePos;
}

/** Another service's namespace (`service:X`) or a container's outside the project (`container:NAME`). */
export type SharedRef = `service:${string}` | `container:${string}`;

/** One `volumes_from` entry: a service of the project, or a container outside it. */
export interface VolumesFromSpec {
  service?: string;
  container?: string;
  readOnly: boolean;
  pos: SourcePos;
}

export interface ServiceSpec {
  name: string;
  /** Where the service's key stands in the (first) file that defines it. */
  pos: SourcePos;
  image?: string;
  build?: BuildSpec;
  pullPolicy?: 'always' | 'never' | 'missing' | 'build' | 'if_not_present';
  command?: string[];
  entrypoint?: string[];
  /**
   * env_file first, then `environment` on top. A bare `KEY` (no value) was already taken from
   * the run's environment, and left out when that is unset, as compose does.
   */
  environment: Record<string, string>;
  ports: PortSpec[];
  expose: { port: number; protocol: 'tcp' | 'udp' | 'sctp' }[];
  /** `depends_on`, and `links` as service_started dependencies where depends_on does not name them. */
  dependsOn: Record<string, DependsOn>;
  healthcheck?: HealthcheckSpec;
  /** Empty means the project's `default` network, as compose does. */
  networks: Record<string, ServiceNetwork>;
  networkMode?: string;
  /** `volumes` and `tmpfs`, then `secrets` and `configs` as read-only binds of their files. */
  mounts: MountSpec[];
  /** label_file first, then `labels` on top. */
  labels: Record<string, string>;
  restart?: { policy: 'no' | 'always' | 'on-failure' | 'unless-stopped'; maxRetries?: number };
  stopSignal?: string;
  stopGracePeriodMs?: number;
  user?: string;
  workingDir?: string;
  readOnly: boolean;
  privileged: boolean;
  capAdd: string[];
  capDrop: string[];
  /** "hostname:ip" entries. */
  extraHosts: string[];
  hostname?: string;
  domainname?: string;
  /** compose `container_name`: honoured as a network alias, never as the container's name, so runs stay isolated. */
  containerName?: string;
  init?: boolean;
  ulimits: { name: string; soft: number; hard: number }[];
  replicas: number;
  resources: ResourcesSpec;
  profiles: string[];
  dns: string[];
  dnsSearch: string[];
  /** `dns_opt`: resolver options (ndots:2, use-vc, ...). */
  dnsOpt: string[];
  /** `group_add`: extra groups, by name or number. */
  groupAdd: string[];
  shmSizeBytes?: number;
  sysctls: Record<string, string>;
  securityOpt: string[];
  tty: boolean;
  stdinOpen: boolean;
  /** OCI runtime name (`runtime: nvidia`); undefined is the engine's default. */
  runtime?: string;
  devices: DeviceMappingSpec[];
  logging?: { driver?: string; options: Record<string, string> };
  links: LinkSpec[];
  /**
   * Namespaces shared with the host, with another service (`service:X`, its first container)
   * or with a container outside the project (`container:NAME`); ipc can also be made shareable.
   */
  pid?: 'host' | SharedRef;
  ipc?: 'host' | 'private' | 'shareable' | 'none' | SharedRef;
  uts?: 'host';
  /** Secrets and configs from `content:`/`environment:`, copied in before the container starts. */
  injectedFiles?: InjectedFile[];
  /** `volumes_from`: the volumes of another service's first container, or of a container by name. */
  volumesFrom?: VolumesFromSpec[];
  /** Where a `service:`/`container:` network_mode, ipc or pid was written, for messages. */
  sharedAt?: Partial<Record<'network_mode' | 'ipc' | 'pid', SourcePos>>;
  usernsMode?: string;
  macAddress?: string;
  cgroupParent?: string;
  storageOpt: Record<string, string>;
  /** `os[/arch[/variant]]`, for pulls and builds. */
  platform?: string;
  /** OCI annotations: passed to engines with API 1.43 and later; older engines drop them. */
  annotations: Record<string, string>;
  /** `x-` keys kept as plain data, for later checks that read them. */
  extensions: Record<string, unknown>;
  /** compose's `develop` (watch rules) as written: kept for `config`, ignored when running. */
  develop?: unknown;
}

export interface NetworkSpec {
  name: string;
  driver?: string;
  driverOpts: Record<string, string>;
  internal: boolean;
  attachable: boolean;
  enableIpv6: boolean;
  ipam?: { driver?: string; config: { subnet?: string; gateway?: string; ipRange?: string }[] };
  labels: Record<string, string>;
  /** `external: true`: must exist already; never created or removed by stackcheck. */
  external: boolean;
  /** The real name for an external network (`name:`), else undefined. */
  externalName?: string;
  pos: SourcePos;
}

export interface VolumeSpec {
  name: string;
  driver?: string;
  driverOpts: Record<string, string>;
  labels: Record<string, string>;
  external: boolean;
  externalName?: string;
  pos: SourcePos;
}
