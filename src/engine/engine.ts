import type { BuildSpec, NetworkSpec, ServiceSpec, VolumeSpec } from '../compose/model.js';

/**
 * Everything stackcheck does to a container engine goes through this interface: the real
 * one (dockerode: a local socket, tcp+tls, ssh, Podman's socket) and the in-memory fake for
 * the orchestration logic's unit tests. Every call takes a deadline through `signal`, and every
 * failure is an EngineError with a typed reason (./errors.ts).
 *
 * It is the sum of one interface per resource, as testcontainers' client splits its own
 * (containers, images, networks, volumes, exec/archive, events); each implementation keeps one
 * module per part (docker/*.ts, fake/*.ts).
 */
export interface Engine extends ImageOps, NetworkOps, VolumeOps, ContainerOps, ExecOps, EventOps {
  /** The node this engine serves, for messages. */
  readonly node: string;
  /** Version, API version talked at, OS, runtimes, firewall backend: read at connect. */
  info(signal?: AbortSignal): Promise<EngineInfo>;
  close(): Promise<void>;
}

export interface ImageOps {
  imageExists(ref: string, signal?: AbortSignal): Promise<boolean>;
  pullImage(ref: string, signal?: AbortSignal): Promise<void>;
  buildImage(req: BuildRequest, signal?: AbortSignal): Promise<void>;
  /** The image as a tarball (`docker save`), to load on another engine. */
  saveImage(ref: string, signal?: AbortSignal): Promise<NodeJS.ReadableStream>;
  /** Loads a tarball made by saveImage (`docker load`). */
  loadImage(tarball: NodeJS.ReadableStream, signal?: AbortSignal): Promise<void>;
}

export interface NetworkOps {
  createNetwork(req: CreateNetworkRequest, signal?: AbortSignal): Promise<string>;
  networkExists(name: string, signal?: AbortSignal): Promise<boolean>;
  /** Removing one that is gone is done. */
  removeNetwork(id: string, signal?: AbortSignal): Promise<void>;
  listNetworks(labels: LabelFilter, signal?: AbortSignal): Promise<ResourceRef[]>;
}

export interface VolumeOps {
  createVolume(req: CreateVolumeRequest, signal?: AbortSignal): Promise<string>;
  /** Removing one that is gone is done. */
  removeVolume(name: string, signal?: AbortSignal): Promise<void>;
  listVolumes(labels: LabelFilter, signal?: AbortSignal): Promise<ResourceRef[]>;
}

export interface ContainerOps {
  createContainer(req: CreateContainerRequest, signal?: AbortSignal): Promise<string>;
  /** A helper container stackcheck runs for itself (probes, fault tools), created and started. */
  runSidecar(req: SidecarRequest, signal?: AbortSignal): Promise<string>;
  startContainer(id: string, signal?: AbortSignal): Promise<void>;
  inspectContainer(id: string, signal?: AbortSignal): Promise<ContainerState>;
  /** Sends the container's stop signal, then SIGKILL after `graceMs` (default: the container's own stop timeout). */
  stopContainer(id: string, graceMs: number | undefined, signal?: AbortSignal): Promise<void>;
  removeContainer(id: string, signal?: AbortSignal): Promise<void>;
  /** Sends a signal through the engine: a manual stop, which restart policies ignore. */
  killContainer(id: string, sig: string, signal?: AbortSignal): Promise<void>;
  /** Freezes a running container (a paused one stays paused); one not running is an error. */
  pauseContainer(id: string, signal?: AbortSignal): Promise<void>;
  unpauseContainer(id: string, signal?: AbortSignal): Promise<void>;
  /** Runs a helper container to completion and removes it: its exit code and output. */
  runTask(req: SidecarRequest, signal?: AbortSignal): Promise<ExecResult>;
  containerLogs(id: string, tail: number, signal?: AbortSignal): Promise<string>;
  /** Log lines (stdout and stderr) with the engine's timestamps, since `sinceMs` (epoch ms). */
  containerLogLines(
    id: string,
    opts: { sinceMs?: number },
    signal?: AbortSignal,
  ): Promise<LogLine[]>;
  listContainers(labels: LabelFilter, signal?: AbortSignal): Promise<ResourceRef[]>;
}

export interface ExecOps {
  /** Runs a command in a running container and collects its output. */
  exec(id: string, req: ExecRequest, signal?: AbortSignal): Promise<ExecResult>;
  /**
   * A path in a container's filesystem as a tar stream (GET /containers/{id}/archive): works
   * whatever tools the image has, on a stopped container too. Entries are named from the
   * path's last component (`/data` gives `data/`, `data/a.txt`). A missing path is 'not-found'.
   */
  readArchive(id: string, path: string, signal?: AbortSignal): Promise<NodeJS.ReadableStream>;
}

export interface EventOps {
  /**
   * Container events for resources carrying `labels`, until `signal` aborts; with `untilMs`,
   * the engine's recorded events between `sinceMs` and `untilMs` (epoch ms), then the end.
   */
  containerEvents(
    labels: LabelFilter,
    signal: AbortSignal,
    window?: { sinceMs: number; untilMs: number },
  ): AsyncIterable<ContainerEvent>;
}

/** A label that must equal a value, or (true) merely be present. */
export type LabelFilter = Record<string, string | true>;

export interface EngineInfo {
  version: string;
  /** The API version stackcheck talks to it at: min(the newest it knows, the engine's). */
  apiVersion: string;
  /** The newest API version the engine offers. */
  engineApiVersion?: string;
  /** Docker 28+ (API 1.49+): 'iptables' or 'nftables'; undefined where the engine does not say. */
  firewallBackend?: string;
  os: string;
  runtimes: string[];
  /**
   * false where the engine's event stream never reports an out-of-memory kill (`oom`): Podman
   * (4.3 and 5.4 seen) sends only `die`, and 5.4's inspect OOMKilled stays true for the
   * container's life once set (4.3's stayed false), so kills cannot be counted there.
   * Undefined: it reports them (Docker).
   */
  oomEvents?: boolean;
  /** What reaching it did that the user must hear of: an unknown ssh host key accepted. */
  notices?: string[];
}

export interface BuildRequest {
  tag: string;
  build: BuildSpec;
  labels: Record<string, string>;
  onProgress?: (line: string) => void;
}

export interface CreateNetworkRequest {
  name: string;
  spec: NetworkSpec;
  labels: Record<string, string>;
}

export interface CreateVolumeRequest {
  name: string;
  spec: VolumeSpec;
  labels: Record<string, string>;
}

export interface CreateContainerRequest {
  name: string;
  image: string;
  service: ServiceSpec;
  labels: Record<string, string>;
  /** Engine-level network names with this container's aliases there; the first is joined at create. */
  networks: { name: string; aliases: string[]; ipv4Address?: string; ipv6Address?: string }[];
  /** compose volume key -> engine volume name. */
  volumeNames: Record<string, string>;
  /** Publish every port on a host port the engine picks, ignoring the declared host port. */
  ephemeralPorts: boolean;
}

/** What `docker inspect` says a container runs with: user, privileges, limits, mounts, env. */
export interface ContainerConfig {
  /** Config.User: compose's `user:` or else the image's USER; empty means root. */
  user: string;
  /** Config.Env as a map. Values may be secrets: never report them. */
  env: Record<string, string>;
  privileged: boolean;
  readonlyRootfs: boolean;
  capAdd: string[];
  /** Bytes; 0 means no limit. */
  memoryBytes: number;
  nanoCpus: number;
  cpuQuota: number;
  cpuPeriod: number;
  mounts: { type: string; source: string; target: string; readOnly: boolean }[];
}

export interface ContainerState {
  id: string;
  name: string;
  status: 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead';
  running: boolean;
  exitCode: number;
  oomKilled: boolean;
  restartCount: number;
  pid: number;
  error?: string;
  startedAt?: string;
  finishedAt?: string;
  /** undefined when the container has no healthcheck. */
  health?: {
    status: 'starting' | 'healthy' | 'unhealthy';
    failingStreak: number;
    log: { exitCode: number; output: string }[];
  };
  /** Container port/protocol -> host bindings, as published. */
  ports: { target: number; protocol: string; hostIp: string; hostPort: number }[];
  /**
   * The networks it is attached to, with its addresses there (network faults match on them)
   * and the network's gateway (the engine's host, as the container sees it).
   */
  networks?: { name: string; ipv4?: string; ipv6?: string; gateway?: string }[];
  /** Every port it exposes, published or not (image EXPOSE, compose `expose` and `ports`). */
  exposedPorts?: { port: number; protocol: string }[];
  labels: Record<string, string>;
  /** The image reference it was created from (Config.Image) and that image's id (sha256:…). */
  image?: string;
  imageId?: string;
  /** The configuration it really runs with (image defaults merged in), for security checks. */
  config?: ContainerConfig;
  /** The configured stop signal and grace period (seconds), when set. */
  stopSignal?: string;
  stopTimeoutSec?: number;
  /** Devices it asked for (HostConfig.DeviceRequests: compose `gpus`, deploy reservations). */
  deviceRequests?: {
    driver?: string;
    count?: number;
    deviceIds?: string[];
    capabilities: string[][];
  }[];
}

export interface SidecarRequest {
  name: string;
  image: string;
  cmd: string[];
  labels: Record<string, string>;
  /** Join this container's network namespace, so the sidecar sees exactly what it sees. */
  networkOf?: string;
  /** Share the host's process namespace (to signal a container's process as the kernel would). */
  pidHost?: boolean;
  capAdd?: string[];
}

export interface ExecRequest {
  cmd: string[];
  user?: string;
  env?: Record<string, string>;
  workingDir?: string;
}

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface LogLine {
  timeMs: number;
  stream: 'stdout' | 'stderr';
  text: string;
}

export interface ResourceRef {
  id: string;
  name: string;
  labels: Record<string, string>;
}

/** Where a run learns of container changes nobody asked stackcheck for (restart policies, OOM kills). */
export interface ChangeFeed {
  /** False once the feed broke: changes may have been missed. */
  readonly live: boolean;
  /** Calls `fn` with each changed container's id until the returned function is called. */
  onChange(fn: (containerId: string) => void): () => void;
}

export interface ContainerEvent {
  id: string;
  /** Docker's action: start, die, health_status: healthy, oom, kill, stop, ... */
  action: string;
  labels: Record<string, string>;
  timeMs: number;
}

export { EngineError, engineMessage, isEngineError, type EngineErrorReason } from './errors.js';
