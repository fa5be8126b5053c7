import { Agent } from 'node:http';
import Docker from 'dockerode';
import { UserError } from '../common/errors.js';
import { NEWEST_API, OLDEST_API, negotiateApi } from './api-version.js';
import { DockerContainers } from './docker/containers.js';
import type { DockerContext } from './docker/context.js';
import { DockerEvents } from './docker/events.js';
import { DockerExec } from './docker/exec.js';
import { DockerImages } from './docker/images.js';
import { DockerNetworks, DockerVolumes } from './docker/networks.js';
import { dockerodeOptions, type DockerEngineOptions } from './docker/options.js';
import { sealed } from './docker/call.js';
import { abortable } from './docker/wire.js';
import { SshDialAgent } from './ssh-agent.js';
import type {
  BuildRequest,
  ContainerEvent,
  ContainerState,
  CreateContainerRequest,
  CreateNetworkRequest,
  CreateVolumeRequest,
  Engine,
  EngineInfo,
  ExecRequest,
  ExecResult,
  LabelFilter,
  LogLine,
  ResourceRef,
  SidecarRequest,
} from './engine.js';

export { dockerodeOptions, isEncryptedKey, type DockerEngineOptions } from './docker/options.js';
export { abortable, demuxFrames, engineTime } from './docker/wire.js';

/**
 * The Engine on dockerode: one module per resource under docker/ (images, networks and
 * volumes, containers, exec/archive, events), each sealing the daemon's failures into
 * EngineErrors; this class negotiates the API version at info() and hands each call on.
 */
export class DockerEngine implements Engine {
  readonly node: string;
  private readonly ctx: DockerContext;
  private readonly images: DockerImages;
  private readonly networks: DockerNetworks;
  private readonly volumes: DockerVolumes;
  private readonly containers: DockerContainers;
  private readonly execs: DockerExec;
  private readonly events: DockerEvents;
  private readonly url: string;
  /** For a local socket: a client whose every request opens a connection of its own (info()). */
  private readonly unpooled?: Docker;

  constructor(o: DockerEngineOptions) {
    this.node = o.node;
    this.url = o.url ?? process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock';
    const options = dockerodeOptions(o);
    // Not an agent of the engine's own for every call: on Docker 28, 20 services took 0.9 s
    // longer to be healthy through one (bench/README.md) than through Node's global agent.
    if (options.socketPath)
      this.unpooled = new Docker({
        ...options,
        agent: new Agent({ keepAlive: false }),
      } as Docker.DockerOptions);
    this.ctx = { docker: new Docker(options), node: o.node };
    this.images = new DockerImages(this.ctx);
    this.networks = new DockerNetworks(this.ctx);
    this.volumes = new DockerVolumes(this.ctx);
    this.containers = new DockerContainers(this.ctx);
    this.execs = new DockerExec(this.ctx);
    this.events = new DockerEvents(this.ctx);
  }

  /**
   * Reads /version (unversioned: every engine answers it) and settles the API version every
   * later request uses; an engine older than stackcheck supports is the user's to change.
   */
  async info(signal?: AbortSignal): Promise<EngineInfo> {
    const { docker } = this.ctx;
    // A daemon that is shutting down (a restart) has closed its socket but still answers on
    // the connections already open: whether the engine answers is asked on a new one.
    const v = await sealed(this.node, () => abortable(signal, (this.unpooled ?? docker).version()));
    const offered = v.ApiVersion;
    const talk = negotiateApi(offered, (v as { MinAPIVersion?: string }).MinAPIVersion);
    if (!talk)
      throw new UserError({
        message: `the Docker engine of node "${this.node}" (${this.url}) is ${v.Version} with API ${offered}, older than the oldest stackcheck supports (API ${OLDEST_API}, Docker 20.10): stackcheck talks API ${OLDEST_API} to ${NEWEST_API}`,
        hint: 'Upgrade the engine on that node to Docker 20.10 or later (or Podman 4 or later).',
      });
    this.ctx.api = talk;
    // docker-modem prefixes every path with its `version` (its typings leave the field out).
    (docker.modem as { version?: string }).version = `v${talk}`;
    const info = (await sealed(this.node, () => abortable(signal, docker.info()))) as {
      Runtimes?: Record<string, unknown>;
      FirewallBackend?: { Driver?: string } | null;
    };
    const agent = (docker.modem as { agent?: unknown }).agent;
    const notices = agent instanceof SshDialAgent ? agent.takeNotices() : [];
    return {
      version: v.Version,
      apiVersion: talk,
      engineApiVersion: offered,
      os: v.Os,
      runtimes: Object.keys(info.Runtimes ?? {}),
      ...(isPodman(v) && { oomEvents: false }),
      ...(info.FirewallBackend?.Driver && { firewallBackend: info.FirewallBackend.Driver }),
      ...(notices.length && { notices }),
    };
  }

  imageExists(ref: string, signal?: AbortSignal): Promise<boolean> {
    return this.images.imageExists(ref, signal);
  }
  pullImage(ref: string, signal?: AbortSignal): Promise<void> {
    return this.images.pullImage(ref, signal);
  }
  buildImage(req: BuildRequest, signal?: AbortSignal): Promise<void> {
    return this.images.buildImage(req, signal);
  }
  saveImage(ref: string, signal?: AbortSignal): Promise<NodeJS.ReadableStream> {
    return this.images.saveImage(ref, signal);
  }
  loadImage(tarball: NodeJS.ReadableStream, signal?: AbortSignal): Promise<void> {
    return this.images.loadImage(tarball, signal);
  }

  createNetwork(req: CreateNetworkRequest, signal?: AbortSignal): Promise<string> {
    return this.networks.createNetwork(req, signal);
  }
  networkExists(name: string, signal?: AbortSignal): Promise<boolean> {
    return this.networks.networkExists(name, signal);
  }
  removeNetwork(id: string, signal?: AbortSignal): Promise<void> {
    return this.networks.removeNetwork(id, signal);
  }
  listNetworks(labels: LabelFilter, signal?: AbortSignal): Promise<ResourceRef[]> {
    return this.networks.listNetworks(labels, signal);
  }

  createVolume(req: CreateVolumeRequest, signal?: AbortSignal): Promise<string> {
    return this.volumes.createVolume(req, signal);
  }
  removeVolume(name: string, signal?: AbortSignal): Promise<void> {
    return this.volumes.removeVolume(name, signal);
  }
  listVolumes(labels: LabelFilter, signal?: AbortSignal): Promise<ResourceRef[]> {
    return this.volumes.listVolumes(labels, signal);
  }

  createContainer(req: CreateContainerRequest, signal?: AbortSignal): Promise<string> {
    return this.containers.createContainer(req, signal);
  }
  runSidecar(req: SidecarRequest, signal?: AbortSignal): Promise<string> {
    return this.containers.runSidecar(req, signal);
  }
  startContainer(id: string, signal?: AbortSignal): Promise<void> {
    return this.containers.startContainer(id, signal);
  }
  inspectContainer(id: string, signal?: AbortSignal): Promise<ContainerState> {
    return this.containers.inspectContainer(id, signal);
  }
  stopContainer(id: string, graceMs: number | undefined, signal?: AbortSignal): Promise<void> {
    return this.containers.stopContainer(id, graceMs, signal);
  }
  removeContainer(id: string, signal?: AbortSignal): Promise<void> {
    return this.containers.removeContainer(id, signal);
  }
  killContainer(id: string, sig: string, signal?: AbortSignal): Promise<void> {
    return this.containers.killContainer(id, sig, signal);
  }
  pauseContainer(id: string, signal?: AbortSignal): Promise<void> {
    return this.containers.pauseContainer(id, signal);
  }
  unpauseContainer(id: string, signal?: AbortSignal): Promise<void> {
    return this.containers.unpauseContainer(id, signal);
  }
  runTask(req: SidecarRequest, signal?: AbortSignal): Promise<ExecResult> {
    return this.containers.runTask(req, signal);
  }
  containerLogs(id: string, tail: number, signal?: AbortSignal): Promise<string> {
    return this.containers.containerLogs(id, tail, signal);
  }
  containerLogLines(
    id: string,
    opts: { sinceMs?: number },
    signal?: AbortSignal,
  ): Promise<LogLine[]> {
    return this.containers.containerLogLines(id, opts, signal);
  }
  listContainers(labels: LabelFilter, signal?: AbortSignal): Promise<ResourceRef[]> {
    return this.containers.listContainers(labels, signal);
  }

  exec(id: string, req: ExecRequest, signal?: AbortSignal): Promise<ExecResult> {
    return this.execs.exec(id, req, signal);
  }
  readArchive(id: string, path: string, signal?: AbortSignal): Promise<NodeJS.ReadableStream> {
    return this.execs.readArchive(id, path, signal);
  }

  containerEvents(
    labels: LabelFilter,
    signal: AbortSignal,
    window?: { sinceMs: number; untilMs: number },
  ): AsyncIterable<ContainerEvent> {
    return this.events.containerEvents(labels, signal, window);
  }

  async close(): Promise<void> {
    // ssh connections hold the process open; the others are per-request.
    (this.ctx.docker.modem as { agent?: { destroy?: () => void } }).agent?.destroy?.();
  }
}

/** Whether /version describes Podman's Docker-compatible service (its first component says so). */
function isPodman(v: { Components?: { Name?: string }[] }): boolean {
  return (v.Components ?? []).some((c) => /^podman\b/i.test(c.Name ?? ''));
}
