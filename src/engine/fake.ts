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
import { FakeContainers } from './fake/containers.js';
import { FakeEvents } from './fake/events.js';
import { FakeExec } from './fake/exec.js';
import { FakeImages } from './fake/images.js';
import { FakeState } from './fake/model.js';
import { FakeNetworks, FakeVolumes } from './fake/networks.js';

export type {
  FakeCall,
  FakeContainer,
  FakeSelector,
  HealthBehaviour,
  StartFault,
} from './fake/model.js';

/**
 * An in-memory Engine for the orchestration rules' unit tests: containers move through
 * created/running/paused/exited as Docker's do, images are present or absent, and faults are
 * injected on purpose — pulls that fail or take time, starts that are refused or whose process
 * exits with a code, healthchecks that pass or fail after a delay, processes that ignore
 * SIGTERM, crashes that restart policies answer. Every delay is slept on the given clock, so
 * tests control time; every call is recorded; events reach `containerEvents` subscribers with
 * the attributes Docker gives them (labels, name, image, `signal` on kill, `exitCode` on die).
 *
 * Split as the Docker adapter is: the state and model in fake/model.ts (with the hooks tests
 * configure and read it by), one part per resource beside it, and this class handing each call on.
 */
export class FakeEngine extends FakeState implements Engine {
  private readonly imageOps = new FakeImages(this);
  private readonly networkOps = new FakeNetworks(this);
  private readonly volumeOps = new FakeVolumes(this);
  private readonly containerOps = new FakeContainers(this);
  private readonly execOps = new FakeExec(this);
  private readonly eventOps = new FakeEvents(this);

  info(): Promise<EngineInfo> {
    return this.call('info', '', () => ({
      version: 'fake',
      apiVersion: '1.41',
      os: 'linux',
      runtimes: ['runc'],
    }));
  }

  close(): Promise<void> {
    return this.call('close', '', () => undefined);
  }

  imageExists(ref: string): Promise<boolean> {
    return this.imageOps.imageExists(ref);
  }
  pullImage(ref: string, signal?: AbortSignal): Promise<void> {
    return this.imageOps.pullImage(ref, signal);
  }
  buildImage(req: BuildRequest): Promise<void> {
    return this.imageOps.buildImage(req);
  }
  saveImage(ref: string): Promise<NodeJS.ReadableStream> {
    return this.imageOps.saveImage(ref);
  }
  loadImage(tarball: NodeJS.ReadableStream): Promise<void> {
    return this.imageOps.loadImage(tarball);
  }
  createNetwork(req: CreateNetworkRequest): Promise<string> {
    return this.networkOps.createNetwork(req);
  }
  networkExists(name: string): Promise<boolean> {
    return this.networkOps.networkExists(name);
  }
  removeNetwork(id: string): Promise<void> {
    return this.networkOps.removeNetwork(id);
  }
  listNetworks(labels: LabelFilter): Promise<ResourceRef[]> {
    return this.networkOps.listNetworks(labels);
  }
  createVolume(req: CreateVolumeRequest): Promise<string> {
    return this.volumeOps.createVolume(req);
  }
  removeVolume(name: string): Promise<void> {
    return this.volumeOps.removeVolume(name);
  }
  listVolumes(labels: LabelFilter): Promise<ResourceRef[]> {
    return this.volumeOps.listVolumes(labels);
  }
  createContainer(req: CreateContainerRequest): Promise<string> {
    return this.containerOps.createContainer(req);
  }
  runSidecar(req: SidecarRequest): Promise<string> {
    return this.containerOps.runSidecar(req);
  }
  startContainer(id: string): Promise<void> {
    return this.containerOps.startContainer(id);
  }
  inspectContainer(id: string): Promise<ContainerState> {
    return this.containerOps.inspectContainer(id);
  }
  stopContainer(id: string, graceMs: number | undefined, signal?: AbortSignal): Promise<void> {
    return this.containerOps.stopContainer(id, graceMs, signal);
  }
  removeContainer(id: string): Promise<void> {
    return this.containerOps.removeContainer(id);
  }
  killContainer(id: string, sig: string): Promise<void> {
    return this.containerOps.killContainer(id, sig);
  }
  pauseContainer(id: string): Promise<void> {
    return this.containerOps.pauseContainer(id);
  }
  unpauseContainer(id: string): Promise<void> {
    return this.containerOps.unpauseContainer(id);
  }
  runTask(req: SidecarRequest): Promise<ExecResult> {
    return this.containerOps.runTask(req);
  }
  containerLogs(id: string, tail: number): Promise<string> {
    return this.containerOps.containerLogs(id, tail);
  }
  containerLogLines(id: string, opts: { sinceMs?: number }): Promise<LogLine[]> {
    return this.containerOps.containerLogLines(id, opts);
  }
  listContainers(labels: LabelFilter): Promise<ResourceRef[]> {
    return this.containerOps.listContainers(labels);
  }
  exec(id: string, req: ExecRequest): Promise<ExecResult> {
    return this.execOps.exec(id, req);
  }
  readArchive(id: string, path: string): Promise<NodeJS.ReadableStream> {
    return this.execOps.readArchive(id, path);
  }
  containerEvents(
    labels: LabelFilter,
    signal: AbortSignal,
    window?: { sinceMs: number; untilMs: number },
  ): AsyncIterable<ContainerEvent> {
    return this.eventOps.containerEvents(labels, signal, window);
  }
}
