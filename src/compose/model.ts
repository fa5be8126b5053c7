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

export interface ResourcesSpec {
  limits: { cpus?: number; memoryBytes?: number; pids?: number };
  reservations: { cpus?: number; memoryBytes?: number; devices: DeviceRequestSpec[] };
}

export interface BuildSpec {
  /** Absolute path. */
  context: string;
  /** Relative to the context, as Docker's build API expects. */
  dockerfile: string;
  args: Record<string, string>;
  target?: string;
  labels: Record<string, string>;
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
  dependsOn: Record<string, DependsOn>;
  healthcheck?: HealthcheckSpec;
  /** Empty means the project's `default` network, as compose does. */
  networks: Record<string, ServiceNetwork>;
  networkMode?: string;
  mounts: MountSpec[];
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
  shmSizeBytes?: number;
  sysctls: Record<string, string>;
  securityOpt: string[];
  tty: boolean;
  stdinOpen: boolean;
  /** `x-` keys kept as plain data, for later checks that read them. */
  extensions: Record<string, unknown>;
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
