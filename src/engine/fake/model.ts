import { createHash } from 'node:crypto';
import { realClock, type Clock } from '../../common/clock.js';
import type { ServiceSpec } from '../../compose/model.js';
import { LABEL } from '../../common/labels.js';
import { healthcheckArgv } from '../health-test.js';
import type {
  ContainerConfig,
  ContainerEvent,
  ContainerState,
  ExecRequest,
  ExecResult,
  LabelFilter,
  LogLine,
} from '../engine.js';
import { EngineError } from '../errors.js';

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
 * then, or at `reportedAfterMs` (its next healthcheck tick; Infinity: an engine that runs no
 * healthcheck, as Podman without systemd).
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
  health?: {
    status: 'starting' | 'healthy' | 'unhealthy';
    failingStreak: number;
    /** The engine's runs of the healthcheck, as inspect's Health.Log. */
    log: { exitCode: number; output: string }[];
  };
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

export interface Named {
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
export function signalNumber(sig: string): number | undefined {
  if (/^\d+$/.test(sig)) return Number(sig);
  const name = sig.toUpperCase();
  return SIGNALS[name.startsWith('SIG') ? name : `SIG${name}`];
}

/** `busybox` is `busybox:latest`, as the engine reads it. */
export function normalizeRef(ref: string): string {
  const last = ref.slice(ref.lastIndexOf('/') + 1);
  return last.includes(':') || ref.includes('@') ? ref : `${ref}:latest`;
}

export function matches(labels: Record<string, string>, filter: LabelFilter): boolean {
  return Object.entries(filter).every(([k, v]) =>
    v === true ? k in labels : labels[k] === String(v),
  );
}

/** Docker restarts a crashing container after 100 ms, doubling each time, up to a minute. */
export const RESTART_BACKOFF_MS = 100;
export const RESTART_BACKOFF_MAX_MS = 60_000;
export const DEFAULT_STOP_TIMEOUT_S = 10;
export const FIRST_EPHEMERAL_PORT = 32768;

/**
 * The fake engine's state and model (containers, networks, volumes, images, events, time),
 * shared by its per-resource parts in this folder; FakeEngine (../fake.ts) is this plus them.
 * Members below "the model" are the parts' own, not for tests.
 */
export class FakeState {
  readonly node: string;
  readonly clock: Clock;
  /** Every call, in order. */
  readonly calls: FakeCall[] = [];
  /** Every event, in order: what `containerEvents` with a window reads back. */
  readonly events: ContainerEvent[] = [];
  readonly images = new Set<string>();
  /** Set to make every pull (and each failing one) take this long on the clock. */
  pullDelayMs = 0;

  readonly containerMap = new Map<string, FakeContainer>();
  readonly networkMap = new Map<string, Named>();
  readonly volumeMap = new Map<string, Named>();
  readonly subscribers = new Set<{
    labels: LabelFilter;
    push: (e: ContainerEvent) => void;
  }>();
  pullFailures: string[] = [];
  buildFailures: string[] = [];
  readonly emptyPulls = new Set<string>();
  readonly startFaults: {
    selector: FakeSelector;
    fault: StartFault;
    remaining: number;
  }[] = [];
  readonly healthRules: { selector: FakeSelector; behaviour: HealthBehaviour }[] = [];
  readonly sigtermIgnored: FakeSelector[] = [];
  /** Files written into containers (`writeFile`), by container id then absolute path. */
  readonly fileMap = new Map<string, Map<string, { content: Buffer; mode: number }>>();
  execHandler: (c: FakeContainer, req: ExecRequest) => ExecResult = () => ({
    exitCode: 0,
    stdout: '',
    stderr: '',
  });
  /** Host ports another process holds (holdHostPort). */
  readonly heldPorts = new Set<number>();
  seq = 0;
  nextPid = 100;
  nextPort = FIRST_EPHEMERAL_PORT;

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

  // ---- the model --------------------------------------------------------------------------

  /** Records the call, runs it, and records how it ended. */
  async call<T>(op: string, target: string, fn: () => T | Promise<T>): Promise<T> {
    const entry = this.record(op, target);
    try {
      return await fn();
    } catch (e) {
      entry.error = e instanceof EngineError ? e.json.message : (e as Error).message;
      throw e;
    }
  }

  record(op: string, target: string): FakeCall {
    const entry: FakeCall = { op, target, atMs: this.clock.now() };
    this.calls.push(entry);
    return entry;
  }

  newId(seed: string): string {
    return createHash('sha256').update(`${seed}#${++this.seq}`).digest('hex');
  }

  newContainer(
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

  byName(name: string): FakeContainer | undefined {
    return [...this.containerMap.values()].find((c) => c.name === name);
  }

  find(idOrName: string): FakeContainer {
    const c = this.containerMap.get(idOrName) ?? this.byName(idOrName);
    if (!c) throw new EngineError('not-found', `No such container: ${idOrName}`);
    return c;
  }

  nameOf(id: string): string {
    return (this.containerMap.get(id) ?? this.byName(id))?.name ?? id;
  }

  findNetwork(idOrName: string): Named | undefined {
    return (
      this.networkMap.get(idOrName) ??
      [...this.networkMap.values()].find((n) => n.name === idOrName)
    );
  }

  selected(c: FakeContainer, selectors: FakeSelector[]): boolean {
    return selectors.some((s) => this.selects(s, c));
  }

  selects(s: FakeSelector, c: FakeContainer): boolean {
    return typeof s === 'function' ? s(c) : c.name === s || c.labels[LABEL.service] === s;
  }

  takeStartFault(c: FakeContainer, kind: (f: StartFault) => boolean): StartFault | undefined {
    const rule = this.startFaults.find(
      (r) => r.remaining > 0 && kind(r.fault) && this.selects(r.selector, c),
    );
    if (!rule) return undefined;
    rule.remaining--;
    return rule.fault;
  }

  /** The process starts: health begins, and any exit or health change is scheduled on the clock. */
  begin(c: FakeContainer): void {
    c.generation++;
    c.status = 'running';
    c.exitCode = 0;
    c.error = undefined;
    c.startedAtMs = this.clock.now();
    c.finishedAtMs = undefined;
    c.pid = this.nextPid++;
    const hc = c.service?.healthcheck;
    c.health = hc && !hc.disable ? { status: 'starting', failingStreak: 0, log: [] } : undefined;
    this.emit(c, 'start');
    const exit = this.takeStartFault(c, (f) => 'exitCode' in f);
    if (exit && 'exitCode' in exit) {
      if (!exit.afterMs) {
        this.exit(c, exit.exitCode, true);
        return;
      }
      this.after(c, exit.afterMs, () => this.exit(c, exit.exitCode, true));
    }
    if (!c.health || !hc || hc.disable) return;
    const rule = this.healthRules.find((r) => this.selects(r.selector, c))?.behaviour;
    const intervalMs = hc.intervalMs ?? 30_000;
    if (rule && 'unhealthyAfterMs' in rule) {
      this.logRuns(c, intervalMs, Infinity);
      this.after(c, rule.unhealthyAfterMs, () => this.setHealthStatus(c, 'unhealthy'));
      return;
    }
    const delay = rule?.reportedAfterMs ?? rule?.healthyAfterMs ?? 0;
    if (delay === Infinity) return;
    this.logRuns(c, intervalMs, rule?.healthyAfterMs ?? 0);
    if (delay === 0) this.setHealthStatus(c, 'healthy');
    else this.after(c, delay, () => this.setHealthStatus(c, 'healthy'));
  }

  /** An exec of the container's own healthcheck command: it passes once the health rule says so. */
  healthProbe(c: FakeContainer, req: ExecRequest): ExecResult | undefined {
    const hc = c.service?.healthcheck;
    const cmd = hc && !hc.disable ? healthcheckArgv(hc.test) : undefined;
    if (!cmd || JSON.stringify(cmd) !== JSON.stringify(req.cmd)) return undefined;
    const rule = this.healthRules.find((r) => this.selects(r.selector, c))?.behaviour;
    const passes =
      !(rule && 'unhealthyAfterMs' in rule) &&
      this.clock.now() - (c.startedAtMs ?? 0) >= (rule?.healthyAfterMs ?? 0);
    return { exitCode: passes ? 0 : 1, stdout: '', stderr: '' };
  }

  /**
   * The engine's own healthcheck runs while it still says starting, one an interval, in the
   * health log as inspect shows them: passing from `passesFromMs` after the start.
   */
  logRuns(c: FakeContainer, intervalMs: number, passesFromMs: number): void {
    this.after(c, intervalMs, () => {
      if (c.health?.status !== 'starting') return;
      const passed = this.clock.now() - (c.startedAtMs ?? 0) >= passesFromMs;
      c.health.log.push({ exitCode: passed ? 0 : 1, output: '' });
      this.logRuns(c, intervalMs, passesFromMs);
    });
  }

  /** Runs `fn` after `ms` on the clock, unless the process has exited or restarted meanwhile. */
  after(c: FakeContainer, ms: number, fn: () => void): void {
    const gen = c.generation;
    void this.clock.sleep(ms).then(() => {
      if (c.generation === gen && this.containerMap.has(c.id)) fn();
    });
  }

  setHealthStatus(c: FakeContainer, status: 'healthy' | 'unhealthy'): void {
    if (!c.health) return;
    c.health.status = status;
    c.health.failingStreak = status === 'unhealthy' ? c.health.failingStreak + 1 : 0;
    c.health.log.push({ exitCode: status === 'healthy' ? 0 : 1, output: '' });
    this.emit(c, `health_status: ${status}`);
  }

  /** The process ends. A crash (not a stop or kill through the engine) meets the restart policy. */
  exit(c: FakeContainer, code: number, crashed: boolean): void {
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

  restarts(c: FakeContainer): boolean {
    const r = c.service?.restart;
    if (!r || c.manuallyStopped) return false;
    if (r.policy === 'always' || r.policy === 'unless-stopped') return true;
    return (
      r.policy === 'on-failure' &&
      c.exitCode !== 0 &&
      (r.maxRetries === undefined || r.maxRetries === 0 || c.restartCount < r.maxRetries)
    );
  }

  emit(c: FakeContainer, action: string, attrs: Record<string, string> = {}): void {
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
  addresses(c: FakeContainer): NonNullable<ContainerState['networks']> {
    const nets = [...this.networkMap.values()];
    const host = [...this.containerMap.values()].indexOf(c) + 2;
    return c.networks.map((name) => {
      const subnet = `10.${nets.findIndex((n) => n.name === name) + 1}.0`;
      return { name, ipv4: `${subnet}.${host}`, gateway: `${subnet}.1` };
    });
  }

  state(c: FakeContainer): ContainerState {
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
      health: c.health && { ...c.health, log: c.health.log.map((l) => ({ ...l })) },
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
