import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { pack } from 'tar-stream';
import { realClock, type Clock } from '../common/clock.js';
import type { ServiceSpec } from '../compose/model.js';
import { LABEL } from '../orchestrator/labels.js';
import { healthcheckArgv } from './health-test.js';
import type {
  ContainerConfig,
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
import { EngineError, classifyStreamFailure } from './errors.js';

/**
 * Which containers a behaviour applies to: a container name, the service it runs (its
 * `io.stackcheck.service` label), or any predicate over the container.
 */
export type FakeSelector = string | ((c: FakeContainer) => boolean);

/** How a start goes wrong: the engine refuses it, or the process exits with a code. */
export type StartFault = { error: string } | { exitCode: number; afterMs?: number };

/**
 * How a container with a healthcheck fares: healthy, or unhealthy, this long after each start.
 * Its healthcheck command passes from `healthyAfterMs` when exec'd; the engine reports healthy
 * then, or at `reportedAfterMs` (its next healthcheck tick).
 */
export type HealthBehaviour =
  { healthyAfterMs: number; reportedAfterMs?: number } | { unhealthyAfterMs: number };

/** One call to the engine, in order, with the clock's time and how it ended. */
export interface FakeCall {
  op: string;
  /** The container name, image reference, network or volume name the call was about. */
  target: string;
  atMs: number;
  error?: string;
}

/** A container as the fake keeps it: read it in assertions, change it through the fake's methods. */
export interface FakeContainer {
  readonly id: string;
  readonly name: string;
  readonly image: string;
  readonly labels: Record<string, string>;
  readonly service?: ServiceSpec;
  status: 'created' | 'running' | 'paused' | 'restarting' | 'exited';
  exitCode: number;
  error?: string;
  startedAtMs?: number;
  finishedAtMs?: number;
  restartCount: number;
  pid: number;
  health?: { status: 'starting' | 'healthy' | 'unhealthy'; failingStreak: number };
  /** Stopped or killed through the engine: restart policies leave it alone, as Docker does. */
  manuallyStopped: boolean;
  readonly networks: string[];
  readonly volumes: string[];
  readonly ports: { target: number; protocol: string; hostIp: string; hostPort: number }[];
  /** As inspect gives them: a named volume at its place under the engine's data root. */
  readonly mounts: ContainerConfig['mounts'];
  readonly logs: LogLine[];
  /** Bumped on every start and exit: timers of an earlier run of the process do nothing. */
  generation: number;
}

interface Named {
  id: string;
  name: string;
  labels: Record<string, string>;
}

/** An error shaped like dockerode's: the status code and the daemon's message. */

const SIGNALS: Record<string, number> = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGKILL: 9,
  SIGUSR1: 10,
  SIGUSR2: 12,
  SIGTERM: 15,
};

/** Docker reports signals by number in its events ("15", "9"). */
function signalNumber(sig: string): number | undefined {
  if (/^\d+$/.test(sig)) return Number(sig);
  const name = sig.toUpperCase();
  return SIGNALS[name.startsWith('SIG') ? name : `SIG${name}`];
}

/** `busybox` is `busybox:latest`, as the engine reads it. */
function normalizeRef(ref: string): string {
  const last = ref.slice(ref.lastIndexOf('/') + 1);
  return last.includes(':') || ref.includes('@') ? ref : `${ref}:latest`;
}

function matches(labels: Record<string, string>, filter: LabelFilter): boolean {
  return Object.entries(filter).every(([k, v]) =>
    v === true ? k in labels : labels[k] === String(v),
  );
}

/** Docker restarts a crashing container after 100 ms, doubling each time, up to a minute. */
const RESTART_BACKOFF_MS = 100;
const RESTART_BACKOFF_MAX_MS = 60_000;
const DEFAULT_STOP_TIMEOUT_S = 10;
const FIRST_EPHEMERAL_PORT = 32768;

/**
 * An in-memory Engine for the orchestration rules' unit tests: containers move through
 * created/running/paused/exited as Docker's do, images are present or absent, and faults are
 * injected on purpose — pulls that fail or take time, starts that are refused or whose process
 * exits with a code, healthchecks that pass or fail after a delay, processes that ignore
 * SIGTERM, crashes that restart policies answer. Every delay is slept on the given clock, so
 * tests control time; every call is recorded; events reach `containerEvents` subscribers with
 * the attributes Docker gives them (labels, name, image, `signal` on kill, `exitCode` on die).
 */
export class FakeEngine implements Engine {
  readonly node: string;
  readonly clock: Clock;
  /** Every call, in order. */
  readonly calls: FakeCall[] = [];
  /** Every event, in order: what `containerEvents` with a window reads back. */
  readonly events: ContainerEvent[] = [];
  readonly images = new Set<string>();
  /** Set to make every pull (and each failing one) take this long on the clock. */
  pullDelayMs = 0;

  private readonly containerMap = new Map<string, FakeContainer>();
  private readonly networkMap = new Map<string, Named>();
  private readonly volumeMap = new Map<string, Named>();
  private readonly subscribers = new Set<{
    labels: LabelFilter;
    push: (e: ContainerEvent) => void;
  }>();
  private pullFailures: string[] = [];
  private buildFailures: string[] = [];
  private readonly emptyPulls = new Set<string>();
  private readonly startFaults: {
    selector: FakeSelector;
    fault: StartFault;
    remaining: number;
  }[] = [];
  private readonly healthRules: { selector: FakeSelector; behaviour: HealthBehaviour }[] = [];
  private readonly sigtermIgnored: FakeSelector[] = [];
  /** Files written into containers (`writeFile`), by container id then absolute path. */
  private readonly fileMap = new Map<string, Map<string, { content: Buffer; mode: number }>>();
  private execHandler: (c: FakeContainer, req: ExecRequest) => ExecResult = () => ({
    exitCode: 0,
    stdout: '',
    stderr: '',
  });
  /** Host ports another process holds (holdHostPort). */
  private readonly heldPorts = new Set<number>();
  private seq = 0;
  private nextPid = 100;
  private nextPort = FIRST_EPHEMERAL_PORT;

  constructor(opts: { node?: string; clock?: Clock; images?: string[] } = {}) {
    this.node = opts.node ?? 'local';
    this.clock = opts.clock ?? realClock;
    for (const ref of opts.images ?? []) this.addImage(ref);
  }

  // ---- configuring the fake -------------------------------------------------------------

  addImage(...refs: string[]): this {
    for (const r of refs) this.images.add(normalizeRef(r));
    return this;
  }

  hasImage(ref: string): boolean {
    return this.images.has(normalizeRef(ref));
  }

  /** The next `n` pulls fail with this message (the registry is down). */
  failPulls(n: number, message = 'Get "https://registry/v2/": connection reset by peer'): this {
    this.pullFailures.push(...Array<string>(n).fill(message));
    return this;
  }

  /** Pulls of `ref` succeed but leave no image behind. */
  pullLeavesNoImage(ref: string): this {
    this.emptyPulls.add(normalizeRef(ref));
    return this;
  }

  /** The next `n` builds fail with this message. */
  failBuilds(n: number, message: string): this {
    this.buildFailures.push(...Array<string>(n).fill(message));
    return this;
  }

  /**
   * Starts of the selected containers go wrong, the next `times` times (default: every time):
   * the engine refuses the start, or the process exits with `exitCode` `afterMs` after it
   * (default 0: before the start call returns, as a process that dies at once).
   */
  failStart(selector: FakeSelector, fault: StartFault, times = Infinity): this {
    this.startFaults.push({ selector, fault, remaining: times });
    return this;
  }

  /** The selected containers' healthchecks pass (or fail) this long after each start. Default: healthy at once. */
  setHealth(selector: FakeSelector, behaviour: HealthBehaviour): this {
    this.healthRules.unshift({ selector, behaviour });
    return this;
  }

  /** The selected containers' processes ignore SIGTERM: a stop waits for its grace period, then kills. */
  ignoreSigterm(selector: FakeSelector): this {
    this.sigtermIgnored.push(selector);
    return this;
  }

  onExec(handler: (c: FakeContainer, req: ExecRequest) => ExecResult): this {
    this.execHandler = handler;
    return this;
  }

  /** A network that exists without stackcheck having made it (an external network). */
  addNetwork(name: string, labels: Record<string, string> = {}): string {
    const id = this.newId(name);
    this.networkMap.set(id, { id, name, labels });
    return id;
  }

  /** The process dies on its own (a crash, an OOM): unlike a stop, restart policies apply. */
  crash(idOrName: string, exitCode = 137): void {
    const c = this.find(idOrName);
    if (c.status !== 'running' && c.status !== 'paused') return;
    this.exit(c, exitCode, true);
  }

  /** A line in a container's log, at the clock's time. */
  writeLog(idOrName: string, text: string, stream: LogLine['stream'] = 'stdout'): void {
    this.find(idOrName).logs.push({ timeMs: this.clock.now(), stream, text });
  }

  /** A file in a container's filesystem, as `readArchive` returns it; directories are implied. */
  writeFile(idOrName: string, path: string, content: string | Buffer, mode = 0o644): void {
    const id = this.find(idOrName).id;
    const files = this.fileMap.get(id) ?? new Map<string, { content: Buffer; mode: number }>();
    files.set(path, { content: Buffer.from(content), mode });
    this.fileMap.set(id, files);
  }

  // ---- reading the fake in assertions ---------------------------------------------------

  /** Containers (any state), optionally only those carrying `labels`. */
  containers(labels: LabelFilter = {}): FakeContainer[] {
    return [...this.containerMap.values()].filter((c) => matches(c.labels, labels));
  }

  container(idOrName: string): FakeContainer {
    return this.find(idOrName);
  }

  /** Names of everything carrying `labels`: after a teardown, all three lists are empty. */
  resources(labels: LabelFilter): { containers: string[]; networks: string[]; volumes: string[] } {
    const names = (m: Map<string, Named>) =>
      [...m.values()].filter((r) => matches(r.labels, labels)).map((r) => r.name);
    return {
      containers: this.containers(labels).map((c) => c.name),
      networks: names(this.networkMap),
      volumes: names(this.volumeMap),
    };
  }

  /** Something outside the engine listens on this host port: a container publishing it cannot start. */
  holdHostPort(port: number): this {
    this.heldPorts.add(port);
    return this;
  }

  /** The calls of one kind (`startContainer`, `pullImage` …), in order. */
  callsTo(op: string): FakeCall[] {
    return this.calls.filter((c) => c.op === op);
  }

  // ---- Engine -----------------------------------------------------------------------------

  info(): Promise<EngineInfo> {
    return this.call('info', '', () => ({
      version: 'fake',
      apiVersion: '1.41',
      os: 'linux',
      runtimes: ['runc'],
    }));
  }

  imageExists(ref: string): Promise<boolean> {
    return this.call('imageExists', ref, () => this.hasImage(ref));
  }

  pullImage(ref: string, signal?: AbortSignal): Promise<void> {
    return this.call('pullImage', ref, async () => {
      if (this.pullDelayMs) await this.clock.sleep(this.pullDelayMs, signal);
      const failure = this.pullFailures.shift();
      if (failure !== undefined)
        throw new EngineError(classifyStreamFailure('pull', failure), failure);
      if (!this.emptyPulls.has(normalizeRef(ref))) this.addImage(ref);
    });
  }

  /** The fake's tarball names the image; loading it on another fake engine adds that image. */
  saveImage(ref: string): Promise<NodeJS.ReadableStream> {
    return this.call('saveImage', ref, () => {
      if (!this.hasImage(ref))
        throw new EngineError('not-found', `reference does not exist: ${ref}`);
      return Readable.from([JSON.stringify({ image: normalizeRef(ref) })]);
    });
  }

  loadImage(tarball: NodeJS.ReadableStream): Promise<void> {
    return this.call('loadImage', 'tarball', async () => {
      const { image } = JSON.parse(await text(tarball)) as { image: string };
      this.addImage(image);
    });
  }

  buildImage(req: BuildRequest): Promise<void> {
    return this.call('buildImage', req.tag, () => {
      req.onProgress?.(`Step 1/1 : FROM scratch (fake build of ${req.tag})`);
      const failure = this.buildFailures.shift();
      if (failure !== undefined)
        throw new EngineError(classifyStreamFailure('build', failure), failure);
      this.addImage(req.tag);
      for (const t of req.build.tags ?? []) this.addImage(t);
    });
  }

  createNetwork(req: CreateNetworkRequest): Promise<string> {
    return this.call('createNetwork', req.name, () => {
      if (this.findNetwork(req.name))
        throw new EngineError('conflict', `network with name ${req.name} already exists`);
      const id = this.newId(req.name);
      this.networkMap.set(id, {
        id,
        name: req.name,
        labels: { ...req.spec.labels, ...req.labels },
      });
      return id;
    });
  }

  networkExists(name: string): Promise<boolean> {
    return this.call('networkExists', name, () => this.findNetwork(name) !== undefined);
  }

  removeNetwork(id: string): Promise<void> {
    return this.call('removeNetwork', this.findNetwork(id)?.name ?? id, () => {
      const n = this.findNetwork(id);
      if (!n) return;
      const attached = this.containers().filter(
        (c) => c.networks.includes(n.name) && (c.status === 'running' || c.status === 'paused'),
      );
      if (attached.length)
        throw new EngineError(
          403,
          `error while removing network: network ${n.name} id ${n.id} has active endpoints`,
        );
      this.networkMap.delete(n.id);
    });
  }

  createVolume(req: CreateVolumeRequest): Promise<string> {
    return this.call('createVolume', req.name, () => {
      if (!this.volumeMap.has(req.name))
        this.volumeMap.set(req.name, {
          id: req.name,
          name: req.name,
          labels: { ...req.spec.labels, ...req.labels },
        });
      return req.name;
    });
  }

  removeVolume(name: string): Promise<void> {
    return this.call('removeVolume', name, () => {
      if (!this.volumeMap.has(name)) return;
      const user = this.containers().find((c) => c.volumes.includes(name));
      if (user)
        throw new EngineError('conflict', `remove ${name}: volume is in use - [${user.id}]`);
      this.volumeMap.delete(name);
    });
  }

  createContainer(req: CreateContainerRequest): Promise<string> {
    return this.call('createContainer', req.name, () => {
      if (!this.hasImage(req.image))
        throw new EngineError('not-found', `No such image: ${req.image}`);
      for (const n of req.networks)
        if (!this.findNetwork(n.name))
          throw new EngineError('not-found', `network ${n.name} not found`);
      const volumes = req.service.mounts.flatMap((m) =>
        m.type === 'volume' && m.source ? [req.volumeNames[m.source] ?? m.source] : [],
      );
      // The engine makes a named volume that does not exist yet, unlabelled, as Docker does.
      for (const v of volumes)
        if (!this.volumeMap.has(v)) this.volumeMap.set(v, { id: v, name: v, labels: {} });
      const c = this.newContainer(
        req.name,
        req.image,
        { ...req.service.labels, ...req.labels },
        {
          service: req.service,
          networks: req.networks.map((n) => n.name),
          volumes,
          mounts: req.service.mounts.map((m) => ({
            type: m.type,
            source:
              m.type === 'volume'
                ? `/var/lib/docker/volumes/${m.source ? (req.volumeNames[m.source] ?? m.source) : this.newId('anonymous')}/_data`
                : m.type === 'bind'
                  ? (m.source ?? '')
                  : '',
            target: m.target,
            readOnly: 'readOnly' in m ? (m.readOnly ?? false) : false,
          })),
          ports: req.service.ports.map((p) => ({
            target: p.target,
            protocol: p.protocol,
            hostIp: p.hostIp ?? '0.0.0.0',
            hostPort:
              req.ephemeralPorts || p.published === undefined ? this.nextPort++ : p.published,
          })),
        },
      );
      // Secrets and configs from content/environment are copied in at create, as the real one does.
      for (const f of req.service.injectedFiles ?? [])
        this.writeFile(c.id, f.target, f.content ?? '', f.mode);
      return c.id;
    });
  }

  runSidecar(req: SidecarRequest): Promise<string> {
    return this.call('runSidecar', req.name, () => {
      if (!this.hasImage(req.image))
        throw new EngineError('not-found', `No such image: ${req.image}`);
      if (req.networkOf) this.find(req.networkOf);
      const c = this.newContainer(req.name, req.image, req.labels, {});
      this.begin(c);
      return c.id;
    });
  }

  startContainer(id: string): Promise<void> {
    return this.call('startContainer', this.nameOf(id), () => {
      const c = this.find(id);
      if (c.status === 'running' || c.status === 'paused') return;
      const refusal = this.takeStartFault(c, (f) => 'error' in f);
      if (refusal && 'error' in refusal) {
        c.error = refusal.error;
        throw new EngineError(500, refusal.error);
      }
      const taken = c.ports.find((p) =>
        this.containers().some(
          (o) =>
            o !== c &&
            (o.status === 'running' || o.status === 'paused') &&
            o.ports.some((q) => q.hostPort === p.hostPort && q.protocol === p.protocol),
        ),
      );
      if (taken) {
        c.error = `Bind for 0.0.0.0:${taken.hostPort} failed: port is already allocated`;
        throw new EngineError('port-in-use', c.error, { port: taken.hostPort });
      }
      const held = c.ports.find((p) => this.heldPorts.has(p.hostPort));
      if (held) {
        c.error = `failed to bind host port for 0.0.0.0:${held.hostPort}:${this.addresses(c)[0]?.ipv4 ?? ''}:${held.target}/${held.protocol}: address already in use`;
        throw new EngineError('port-in-use', c.error, { port: held.hostPort });
      }
      c.manuallyStopped = false;
      this.begin(c);
    });
  }

  inspectContainer(id: string): Promise<ContainerState> {
    return this.call('inspectContainer', this.nameOf(id), () => this.state(this.find(id)));
  }

  stopContainer(id: string, graceMs: number | undefined, signal?: AbortSignal): Promise<void> {
    return this.call('stopContainer', this.nameOf(id), async () => {
      const c = this.find(id);
      if (c.status === 'restarting') {
        c.generation++;
        c.status = 'exited';
        c.manuallyStopped = true;
        return;
      }
      if (c.status !== 'running' && c.status !== 'paused') return;
      c.manuallyStopped = true;
      const sig = c.service?.stopSignal ?? 'SIGTERM';
      this.emit(c, 'kill', { signal: String(signalNumber(sig) ?? sig) });
      if (this.selected(c, this.sigtermIgnored)) {
        const gen = c.generation;
        const stopTimeoutS = c.service?.stopGracePeriodMs
          ? c.service.stopGracePeriodMs / 1000
          : DEFAULT_STOP_TIMEOUT_S;
        await this.clock.sleep(graceMs ?? stopTimeoutS * 1000, signal);
        if (c.generation !== gen) return;
        this.emit(c, 'kill', { signal: '9' });
        this.exit(c, 137, false);
      } else {
        this.exit(c, 0, false);
      }
      this.emit(c, 'stop');
    });
  }

  removeContainer(id: string): Promise<void> {
    return this.call('removeContainer', this.nameOf(id), () => {
      const c = this.containerMap.get(id) ?? this.byName(id);
      if (!c) return;
      if (c.status === 'running' || c.status === 'paused') {
        this.emit(c, 'kill', { signal: '9' });
        this.exit(c, 137, false);
      }
      c.generation++;
      this.emit(c, 'destroy');
      this.containerMap.delete(c.id);
    });
  }

  killContainer(id: string, sig: string): Promise<void> {
    return this.call('killContainer', this.nameOf(id), () => {
      const c = this.find(id);
      if (c.status !== 'running' && c.status !== 'paused') return;
      const n = signalNumber(sig);
      this.emit(c, 'kill', { signal: String(n ?? sig) });
      const dies =
        n === 9 || ((n === 15 || n === 2 || n === 3) && !this.selected(c, this.sigtermIgnored));
      if (!dies) return;
      c.manuallyStopped = true;
      this.exit(c, 128 + n!, false);
    });
  }

  pauseContainer(id: string): Promise<void> {
    return this.call('pauseContainer', this.nameOf(id), () => {
      const c = this.find(id);
      if (c.status === 'paused') return;
      if (c.status !== 'running')
        throw new EngineError('not-running', `container ${c.id} is not running`);
      c.status = 'paused';
      this.emit(c, 'pause');
    });
  }

  unpauseContainer(id: string): Promise<void> {
    return this.call('unpauseContainer', this.nameOf(id), () => {
      const c = this.find(id);
      if (c.status !== 'paused') return;
      c.status = 'running';
      this.emit(c, 'unpause');
    });
  }

  runTask(req: SidecarRequest): Promise<ExecResult> {
    return this.call('runTask', req.name, () => {
      if (!this.hasImage(req.image))
        throw new EngineError('not-found', `No such image: ${req.image}`);
      // The crash step's helper: SIGKILL to a container's main process from the host's pid namespace.
      const [cmd, flag, pid] = req.cmd;
      if (req.pidHost && cmd === 'kill' && flag === '-9' && pid) {
        const target = this.containers().find((c) => c.pid === Number(pid) && c.pid > 0);
        if (!target)
          return {
            exitCode: 1,
            stdout: '',
            stderr: `kill: can't kill pid ${pid}: No such process\n`,
          };
        this.exit(target, 137, true);
      }
      return { exitCode: 0, stdout: '', stderr: '' };
    });
  }

  containerLogs(id: string, tail: number): Promise<string> {
    return this.call('containerLogs', this.nameOf(id), () => {
      const lines = this.find(id).logs.slice(-tail);
      return lines.map((l) => `${l.text}\n`).join('');
    });
  }

  containerLogLines(id: string, opts: { sinceMs?: number }): Promise<LogLine[]> {
    return this.call('containerLogLines', this.nameOf(id), () =>
      this.find(id).logs.filter((l) => opts.sinceMs === undefined || l.timeMs >= opts.sinceMs),
    );
  }

  exec(id: string, req: ExecRequest): Promise<ExecResult> {
    return this.call('exec', this.nameOf(id), () => {
      const c = this.find(id);
      if (c.status !== 'running')
        throw new EngineError('not-running', `container ${c.id} is not running`);
      return this.healthProbe(c, req) ?? this.execHandler(c, req);
    });
  }

  /** A tar stream shaped like Docker's: entries named from the path's last component. */
  readArchive(id: string, path: string): Promise<NodeJS.ReadableStream> {
    return this.call('readArchive', this.nameOf(id), () => {
      const c = this.find(id);
      const root = path.replace(/\/+$/, '') || '/';
      const files = [...(this.fileMap.get(c.id) ?? new Map())].filter(
        ([p]) => p === root || p.startsWith(root === '/' ? '/' : `${root}/`),
      );
      if (!files.length)
        throw new EngineError('not-found', `Could not find the file ${path} in container ${c.id}`);
      const base = root === '/' ? '' : root.slice(root.lastIndexOf('/') + 1);
      const tar = pack();
      const dirs = new Set<string>();
      for (const [p, f] of files.sort(([a], [b]) => a.localeCompare(b))) {
        const name = p === root ? base : `${base}${p.slice(root.length)}`.replace(/^\//, '');
        const parts = name.split('/');
        for (let i = 1; i < parts.length; i++) {
          const dir = parts.slice(0, i).join('/');
          if (!dirs.has(dir)) tar.entry({ name: `${dir}/`, type: 'directory', mode: 0o755 });
          dirs.add(dir);
        }
        tar.entry({ name, mode: f.mode, size: f.content.length }, f.content);
      }
      tar.finalize();
      return tar;
    });
  }

  listContainers(labels: LabelFilter): Promise<ResourceRef[]> {
    return this.call('listContainers', '', () =>
      this.containers(labels).map((c) => ({ id: c.id, name: c.name, labels: { ...c.labels } })),
    );
  }

  listNetworks(labels: LabelFilter): Promise<ResourceRef[]> {
    return this.call('listNetworks', '', () =>
      [...this.networkMap.values()].filter((n) => matches(n.labels, labels)).map((n) => ({ ...n })),
    );
  }

  listVolumes(labels: LabelFilter): Promise<ResourceRef[]> {
    return this.call('listVolumes', '', () =>
      [...this.volumeMap.values()].filter((v) => matches(v.labels, labels)).map((v) => ({ ...v })),
    );
  }

  async *containerEvents(
    labels: LabelFilter,
    signal: AbortSignal,
    window?: { sinceMs: number; untilMs: number },
  ): AsyncIterable<ContainerEvent> {
    this.record('containerEvents', '');
    if (window) {
      for (const e of this.events.filter(
        (e) =>
          matches(e.labels, labels) && e.timeMs >= window.sinceMs && e.timeMs <= window.untilMs,
      ))
        yield e;
      return;
    }
    // Subscribed before the first await, so nothing emitted after this call is missed.
    const queue: ContainerEvent[] = [];
    let wake: (() => void) | undefined;
    const sub = {
      labels,
      push: (e: ContainerEvent) => {
        queue.push(e);
        wake?.();
      },
    };
    const onAbort = () => wake?.();
    this.subscribers.add(sub);
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      while (!signal.aborted) {
        const next = queue.shift();
        if (next) {
          yield next;
          continue;
        }
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
      }
    } finally {
      this.subscribers.delete(sub);
      signal.removeEventListener('abort', onAbort);
    }
  }

  close(): Promise<void> {
    return this.call('close', '', () => undefined);
  }

  // ---- the model --------------------------------------------------------------------------

  /** Records the call, runs it, and records how it ended. */
  private async call<T>(op: string, target: string, fn: () => T | Promise<T>): Promise<T> {
    const entry = this.record(op, target);
    try {
      return await fn();
    } catch (e) {
      entry.error = e instanceof EngineError ? e.json.message : (e as Error).message;
      throw e;
    }
  }

  private record(op: string, target: string): FakeCall {
    const entry: FakeCall = { op, target, atMs: this.clock.now() };
    this.calls.push(entry);
    return entry;
  }

  private newId(seed: string): string {
    return createHash('sha256').update(`${seed}#${++this.seq}`).digest('hex');
  }

  private newContainer(
    name: string,
    image: string,
    labels: Record<string, string>,
    more: Partial<Pick<FakeContainer, 'service' | 'networks' | 'volumes' | 'ports' | 'mounts'>>,
  ): FakeContainer {
    if (this.byName(name)) {
      throw new EngineError(
        409,
        `Conflict. The container name "/${name}" is already in use. You have to remove (or rename) that container to be able to reuse that name.`,
      );
    }
    const c: FakeContainer = {
      id: this.newId(name),
      name,
      image,
      labels,
      service: more.service,
      status: 'created',
      exitCode: 0,
      restartCount: 0,
      pid: 0,
      manuallyStopped: false,
      networks: more.networks ?? [],
      volumes: more.volumes ?? [],
      ports: more.ports ?? [],
      mounts: more.mounts ?? [],
      logs: [],
      generation: 0,
    };
    this.containerMap.set(c.id, c);
    this.emit(c, 'create');
    return c;
  }

  private byName(name: string): FakeContainer | undefined {
    return [...this.containerMap.values()].find((c) => c.name === name);
  }

  private find(idOrName: string): FakeContainer {
    const c = this.containerMap.get(idOrName) ?? this.byName(idOrName);
    if (!c) throw new EngineError('not-found', `No such container: ${idOrName}`);
    return c;
  }

  private nameOf(id: string): string {
    return (this.containerMap.get(id) ?? this.byName(id))?.name ?? id;
  }

  private findNetwork(idOrName: string): Named | undefined {
    return (
      this.networkMap.get(idOrName) ??
      [...this.networkMap.values()].find((n) => n.name === idOrName)
    );
  }

  private selected(c: FakeContainer, selectors: FakeSelector[]): boolean {
    return selectors.some((s) => this.selects(s, c));
  }

  private selects(s: FakeSelector, c: FakeContainer): boolean {
    return typeof s === 'function' ? s(c) : c.name === s || c.labels[LABEL.service] === s;
  }

  private takeStartFault(
    c: FakeContainer,
    kind: (f: StartFault) => boolean,
  ): StartFault | undefined {
    const rule = this.startFaults.find(
      (r) => r.remaining > 0 && kind(r.fault) && this.selects(r.selector, c),
    );
    if (!rule) return undefined;
    rule.remaining--;
    return rule.fault;
  }

  /** The process starts: health begins, and any exit or health change is scheduled on the clock. */
  private begin(c: FakeContainer): void {
    c.generation++;
    c.status = 'running';
    c.exitCode = 0;
    c.error = undefined;
    c.startedAtMs = this.clock.now();
    c.finishedAtMs = undefined;
    c.pid = this.nextPid++;
    const hc = c.service?.healthcheck;
    c.health = hc && !hc.disable ? { status: 'starting', failingStreak: 0 } : undefined;
    this.emit(c, 'start');
    const exit = this.takeStartFault(c, (f) => 'exitCode' in f);
    if (exit && 'exitCode' in exit) {
      if (!exit.afterMs) {
        this.exit(c, exit.exitCode, true);
        return;
      }
      this.after(c, exit.afterMs, () => this.exit(c, exit.exitCode, true));
    }
    if (!c.health) return;
    const rule = this.healthRules.find((r) => this.selects(r.selector, c))?.behaviour;
    if (rule && 'unhealthyAfterMs' in rule) {
      this.after(c, rule.unhealthyAfterMs, () => this.setHealthStatus(c, 'unhealthy'));
      return;
    }
    const delay = rule?.reportedAfterMs ?? rule?.healthyAfterMs ?? 0;
    if (delay === 0) this.setHealthStatus(c, 'healthy');
    else this.after(c, delay, () => this.setHealthStatus(c, 'healthy'));
  }

  /** An exec of the container's own healthcheck command: it passes once the health rule says so. */
  private healthProbe(c: FakeContainer, req: ExecRequest): ExecResult | undefined {
    const hc = c.service?.healthcheck;
    const cmd = hc && !hc.disable ? healthcheckArgv(hc.test) : undefined;
    if (!cmd || JSON.stringify(cmd) !== JSON.stringify(req.cmd)) return undefined;
    const rule = this.healthRules.find((r) => this.selects(r.selector, c))?.behaviour;
    const passes =
      !(rule && 'unhealthyAfterMs' in rule) &&
      this.clock.now() - (c.startedAtMs ?? 0) >= (rule?.healthyAfterMs ?? 0);
    return { exitCode: passes ? 0 : 1, stdout: '', stderr: '' };
  }

  /** Runs `fn` after `ms` on the clock, unless the process has exited or restarted meanwhile. */
  private after(c: FakeContainer, ms: number, fn: () => void): void {
    const gen = c.generation;
    void this.clock.sleep(ms).then(() => {
      if (c.generation === gen && this.containerMap.has(c.id)) fn();
    });
  }

  private setHealthStatus(c: FakeContainer, status: 'healthy' | 'unhealthy'): void {
    if (!c.health) return;
    c.health.status = status;
    c.health.failingStreak = status === 'unhealthy' ? c.health.failingStreak + 1 : 0;
    this.emit(c, `health_status: ${status}`);
  }

  /** The process ends. A crash (not a stop or kill through the engine) meets the restart policy. */
  private exit(c: FakeContainer, code: number, crashed: boolean): void {
    c.generation++;
    c.status = 'exited';
    c.exitCode = code;
    c.finishedAtMs = this.clock.now();
    c.pid = 0;
    this.emit(c, 'die', { exitCode: String(code) });
    if (crashed && this.restarts(c)) {
      c.status = 'restarting';
      const delay = Math.min(RESTART_BACKOFF_MS * 2 ** c.restartCount, RESTART_BACKOFF_MAX_MS);
      this.after(c, delay, () => {
        c.restartCount++;
        this.begin(c);
      });
    }
  }

  private restarts(c: FakeContainer): boolean {
    const r = c.service?.restart;
    if (!r || c.manuallyStopped) return false;
    if (r.policy === 'always' || r.policy === 'unless-stopped') return true;
    return (
      r.policy === 'on-failure' &&
      c.exitCode !== 0 &&
      (r.maxRetries === undefined || r.maxRetries === 0 || c.restartCount < r.maxRetries)
    );
  }

  private emit(c: FakeContainer, action: string, attrs: Record<string, string> = {}): void {
    const e: ContainerEvent = {
      id: c.id,
      action,
      labels: { ...c.labels, name: c.name, image: c.image, ...attrs },
      timeMs: this.clock.now(),
    };
    this.events.push(e);
    for (const s of this.subscribers) if (matches(c.labels, s.labels)) s.push(e);
  }

  /** Addresses as an engine hands them out: a subnet per network, a host number per container. */
  private addresses(c: FakeContainer): NonNullable<ContainerState['networks']> {
    const nets = [...this.networkMap.values()];
    const host = [...this.containerMap.values()].indexOf(c) + 2;
    return c.networks.map((name) => {
      const subnet = `10.${nets.findIndex((n) => n.name === name) + 1}.0`;
      return { name, ipv4: `${subnet}.${host}`, gateway: `${subnet}.1` };
    });
  }

  private state(c: FakeContainer): ContainerState {
    const s = c.service;
    const iso = (ms: number | undefined) =>
      ms === undefined ? undefined : new Date(ms).toISOString();
    return {
      id: c.id,
      name: c.name,
      status: c.status,
      running: c.status === 'running' || c.status === 'paused',
      exitCode: c.exitCode,
      oomKilled: false,
      restartCount: c.restartCount,
      pid: c.pid,
      error: c.error,
      startedAt: iso(c.startedAtMs),
      finishedAt: iso(c.finishedAtMs),
      health: c.health && { ...c.health, log: [] },
      ports: c.status === 'running' || c.status === 'paused' ? c.ports.map((p) => ({ ...p })) : [],
      // A stopped container stays attached, without addresses, as the engine reports it.
      networks:
        c.status === 'running' || c.status === 'paused'
          ? this.addresses(c)
          : c.networks.map((name) => ({ name })),
      exposedPorts: [
        ...new Map(
          [...(s?.expose ?? []), ...c.ports.map((p) => ({ port: p.target, protocol: p.protocol }))]
            .map((e) => ({ port: e.port, protocol: e.protocol }))
            .map((e) => [`${e.port}/${e.protocol}`, e] as const),
        ).values(),
      ],
      labels: { ...c.labels },
      image: c.image,
      imageId: `sha256:${createHash('sha256').update(normalizeRef(c.image)).digest('hex')}`,
      config: {
        user: s?.user ?? '',
        env: { ...s?.environment },
        privileged: s?.privileged ?? false,
        readonlyRootfs: s?.readOnly ?? false,
        capAdd: [...(s?.capAdd ?? [])],
        memoryBytes: s?.resources.limits.memoryBytes ?? 0,
        nanoCpus: Math.round((s?.resources.limits.cpus ?? 0) * 1e9),
        cpuQuota: 0,
        cpuPeriod: 0,
        mounts: c.mounts.map((m) => ({ ...m })),
      },
      stopSignal: s?.stopSignal,
      stopTimeoutSec: s?.stopGracePeriodMs === undefined ? undefined : s.stopGracePeriodMs / 1000,
      deviceRequests: (s?.resources.reservations.devices ?? []).map((d) => ({
        driver: d.driver,
        count: d.count ?? (d.deviceIds ? 0 : -1),
        deviceIds: d.deviceIds,
        capabilities: [d.capabilities],
      })),
    };
  }
}
