import { randomBytes } from 'node:crypto';
import type {
  ChangeFeed,
  ContainerState,
  Engine,
  ExecResult,
  LabelFilter,
} from '../engine/engine.js';
import type { NodeSpec, Suite, TopologySpec } from '../model/suite.js';
import { attachedReplicas, COMPOSE_LABEL, serviceFilter } from '../orchestrator/attach.js';
import { LABEL } from '../common/labels.js';
import { plan, type TopologyPlan } from '../orchestrator/plan.js';
import { provideHelperImage, type ImageCarrier } from '../orchestrator/carry.js';
import { QUICK_CALL_MS } from '../common/deadline.js';
import type { OomCounter } from './oom-counter.js';
import { resolveServiceRef, type Replica } from '../model/refs.js';
import { StateCache } from './state-cache.js';
import { isLoopback, isWildcard } from '../common/host-address.js';
import { timeoutSignal } from '../common/timeout.js';

/** The container a check needs is not running (stopped, restarting, paused): a failure that may pass on retry. */
export class NotRunning extends Error {
  /** `what`: a container's name, or a service with no container at all. */
  constructor(what: string, status: string) {
    super(`${what} is not running (${status})`);
    this.name = 'NotRunning';
  }
}

/** A service cannot be addressed from the container that probes it: a manifest to fix, not a retry. */
export class Unaddressable extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'Unaddressable';
  }
}

/**
 * An address a container connects to: a service's network name within its own topology; else
 * the address of one target container (on a network both share, or its published port).
 */
export interface PeerEndpoint {
  host: string;
  port: number;
  /** The node the target is on. */
  node: string;
  /** The one container this address reaches, when it is not the engine's pick by name. */
  container?: string;
}

/**
 * What is running, as checks see it: the replicas of each service, where their ports are
 * published, and a way to run a probe from inside a service's own network namespace.
 */
export class Runtime {
  /** Probe sidecars by the container they serve, with that container's start they joined. */
  private readonly probes = new Map<string, { startedAt?: string; id: Promise<string> }>();
  /** The last probe lookup per container: lookups run one at a time, so they see starts in order. */
  private readonly queues = new Map<string, Promise<unknown>>();
  private readonly plans = new Map<string, TopologyPlan>();
  /** Container states published() reads, kept until the container changes. */
  private readonly states = new StateCache();
  /** Containers a scenario stopped on purpose (a `stop` step): restarts leave them stopped until a `start`. */
  readonly userStopped = new Set<string>();

  constructor(
    readonly suite: Suite,
    private readonly engines: Map<string, Engine>,
    private all: Replica[],
    private readonly runLabels: Record<string, string>,
    private readonly probeImage: string,
    /** Out-of-memory kills counted on each node since before bring-up (run.ts). */
    private readonly ooms: ReadonlyMap<string, OomCounter> = new Map(),
    /** Brings helper images to nodes that lack them and that no registry serves. */
    private readonly carrier?: ImageCarrier,
  ) {}

  /** Lists what a run created, by its run label, on every engine, and what attached topologies run. */
  static async discover(
    suite: Suite,
    engines: Map<string, Engine>,
    runLabels: Record<string, string>,
    probeImage: string,
    ooms: ReadonlyMap<string, OomCounter>,
    carrier: ImageCarrier | undefined,
    signal?: AbortSignal,
  ): Promise<Runtime> {
    const runId = runLabels[LABEL.run]!;
    const lists = await Promise.all(
      // By node too: two nodes may name the same engine (every machine on one host).
      [...engines].map(async ([node, engine]) =>
        (
          await engine.listContainers(
            { [LABEL.run]: runId, [LABEL.node]: node, [LABEL.service]: true },
            signal,
          )
        ).map((c): Replica => ({
          topology: c.labels[LABEL.topology]!,
          service: c.labels[LABEL.service]!,
          node,
          containerId: c.id,
          containerName: c.name,
          index: Number(c.labels[LABEL.replica] ?? 1),
        })),
      ),
    );
    // Attached topologies' containers are the deployed project's own, found as attach found them.
    const attached = await Promise.all(
      suite.topologies
        .filter((t) => t.attach && engines.has(t.node))
        .map((t) => attachedReplicas(engines.get(t.node)!, t, signal)),
    );
    const replicas = [...lists, ...attached]
      .flat()
      .sort((a, b) => a.containerName.localeCompare(b.containerName));
    return new Runtime(suite, engines, replicas, runLabels, probeImage, ooms, carrier);
  }

  /** Labels that select a replica's service's containers: the run's, or compose's for an attached topology. */
  serviceFilter(r: Replica): LabelFilter {
    return serviceFilter(this.topology(r.topology), r.service, this.runId);
  }

  /** The labels that select the run's service containers on a node, one filter per kind of topology there. */
  serviceFilters(node: string): LabelFilter[] {
    const attached = this.suite.topologies.filter((t) => t.node === node && t.attach);
    return [
      { [LABEL.run]: this.runId, [LABEL.service]: true },
      ...attached.map((t) => ({
        [COMPOSE_LABEL.project]: t.attach!.project,
        [COMPOSE_LABEL.service]: true as const,
      })),
    ];
  }

  private topology(name: string): TopologySpec {
    const t = this.suite.topologies.find((x) => x.name === name);
    if (!t) throw new Error(`no topology "${name}"`);
    return t;
  }

  /** The run's labels, for helper containers it starts. */
  get labels(): Record<string, string> {
    return this.runLabels;
  }

  get runId(): string {
    return this.runLabels[LABEL.run]!;
  }

  get replicasAll(): readonly Replica[] {
    return this.all;
  }

  /** The plan the run brought a topology up from: the same names, tiers and container requests. */
  plan(topology: string): TopologyPlan {
    let tp = this.plans.get(topology);
    if (!tp) {
      const spec = this.suite.topologies.find((t) => t.name === topology);
      if (!spec) throw new Error(`no topology "${topology}"`);
      tp = plan({ ...this.suite, topologies: [spec] }, this.runId).topologies[0]!;
      this.plans.set(topology, tp);
    }
    return tp;
  }

  /**
   * A replica's container was replaced (a `recreate` step): later steps and checks act on the
   * new one, or find none when no new one could be created. The old one's probe sidecar goes
   * with it; it shared a namespace that is gone.
   */
  async replace(old: Replica, containerId: string | undefined): Promise<void> {
    this.all = this.all.flatMap((r) =>
      r.containerId !== old.containerId ? [r] : containerId ? [{ ...r, containerId }] : [],
    );
    this.userStopped.delete(old.containerId);
    await this.dropProbe(old);
  }

  /** How often the kernel killed this replica's container for lack of memory; undefined: not counted. */
  oomKills(r: Replica): number | undefined {
    return this.ooms.get(r.node)?.count(r.containerId);
  }

  /** Why this replica's engine cannot count out-of-memory kills at all; undefined where it can. */
  oomUncounted(r: Replica): string | undefined {
    return this.ooms.get(r.node)?.uncounted;
  }

  /** Replicas of a service reference; refs were validated when the manifest was loaded. */
  replicas(ref: string): Replica[] {
    const r = resolveServiceRef(this.suite, ref);
    if (typeof r === 'string') throw new Error(r);
    return this.all.filter((x) => x.topology === r.topology && x.service === r.service);
  }

  engine(node: string): Engine {
    const e = this.engines.get(node);
    if (!e) throw new Error(`no engine for node "${node}"`);
    // What scenarios stop, restart or kill through it is forgotten by published()'s cache.
    return this.states.track(e);
  }

  node(name: string): NodeSpec {
    return this.suite.nodes[name]!;
  }

  inspect(r: Replica, signal?: AbortSignal): Promise<ContainerState> {
    return this.engine(r.node).inspectContainer(r.containerId, signal);
  }

  /** Where the runner reaches a replica's container port, or undefined when it is not published. */
  async published(
    r: Replica,
    port: number,
    protocol = 'tcp',
    signal?: AbortSignal,
  ): Promise<{ host: string; port: number } | undefined> {
    const b = publishedBinding(await this.runningState(r, signal), port, protocol);
    if (!b) return undefined;
    return { host: isWildcard(b.hostIp) ? this.nodeHost(r.node) : b.hostIp, port: b.hostPort };
  }

  /**
   * The run's live feed of changes to a topology's containers (its node's OOM counter's
   * subscription), which covers only what the run created: none for an attached topology.
   */
  changes(topology: string): ChangeFeed | undefined {
    const t = this.topology(topology);
    return t.attach ? undefined : this.ooms.get(t.node);
  }

  /**
   * A running replica's state, read once per start of its container: a restarted one may
   * publish another host port or hold another address; an attached stack's reads are not kept.
   */
  private async runningState(r: Replica, signal?: AbortSignal): Promise<ContainerState> {
    const feed = this.changes(r.topology);
    const s = await this.states.read(this.engine(r.node), r.containerId, feed, signal);
    if (s.status !== 'running') throw new NotRunning(r.containerName, s.status);
    return s;
  }

  /** The host at which the runner reaches ports a node publishes. */
  nodeHost(node: string): string {
    const n = this.node(node);
    if (n.address) return n.address;
    const url = n.docker ?? process.env.DOCKER_HOST;
    if (url && /^(tcp|ssh|http|https):/.test(url)) return new URL(url).hostname;
    return '127.0.0.1';
  }

  /** Whether the run spans several nodes (reports then say which node each end is on). */
  get multiNode(): boolean {
    return this.engines.size > 1;
  }

  /**
   * Where a replica reaches a service's container port. Within its own topology, by the
   * service's network name, as compose services call each other (the engine's DNS picks a
   * replica). A bare name means nothing outside that topology's networks, or worse, names the
   * caller's own namesake, so any other topology's service is reached one container at a
   * time: on the same node at its address on a network both containers are on, else at its
   * published port on the node's address; on another node only the latter exists. Throws
   * Unaddressable when no such route exists.
   */
  async peerAddresses(
    from: Replica,
    ref: string,
    port: number,
    signal?: AbortSignal,
  ): Promise<PeerEndpoint[]> {
    const target = resolveServiceRef(this.suite, ref);
    if (typeof target === 'string') throw new Error(target);
    if (target.topology === from.topology) return [{ host: target.service, port, node: from.node }];
    const targets = this.replicas(ref);
    if (targets.length === 0)
      throw new NotRunning(`${target.topology}/${target.service}`, 'no container');
    const source =
      targets[0]!.node === from.node ? await this.runningState(from, signal) : undefined;
    return Promise.all(
      targets.map(async (r): Promise<PeerEndpoint> => {
        const s = await this.runningState(r, signal);
        const shared = source && sharedAddress(source, s);
        if (shared) return { host: shared, port, node: r.node, container: r.containerName };
        const b = publishedBinding(s, port, 'tcp');
        if (!b || isLoopback(b.hostIp)) {
          const state = `container port ${port} is ${b ? `published on ${b.hostIp} only` : 'not published'}; publish it in compose (ports: ["${port}"])`;
          throw new Unaddressable(
            source
              ? `${r.containerName} shares no network with ${from.containerName}: containers of two compose projects meet only on a network both join or at published ports, and ${state}, or join both services to one external network`
              : `${r.containerName} is on node ${r.node} and ${from.containerName} on node ${from.node}: containers on two engines meet only at published ports, and ${state}`,
          );
        }
        const host = isWildcard(b.hostIp) ? this.hostSeenFrom(r.node, from, source) : b.hostIp;
        return { host, port: b.hostPort, node: r.node, container: r.containerName };
      }),
    );
  }

  /**
   * The address a container reaches `node`'s published ports at: the node's own, unless that
   * is a loopback address, which inside a container is the container itself. On its own node
   * the gateway of its network is the engine's host (what compose's `host-gateway` names).
   */
  private hostSeenFrom(node: string, from: Replica, source: ContainerState | undefined): string {
    const host = this.nodeHost(node);
    if (!isLoopback(host)) return host;
    const gateway = source?.networks?.find((n) => n.gateway)?.gateway;
    if (gateway) return gateway;
    throw new Unaddressable(
      source
        ? `${from.containerName} is on no network with a gateway to its node's published ports`
        : `${from.containerName} on node ${from.node} cannot reach node ${node} at ${host}: set \`address:\` of node ${node} to an address that containers on node ${from.node} can reach`,
    );
  }

  /**
   * Runs a command in a probe sidecar that shares the replica's network namespace: it sees
   * the same names, routes and faults as the service itself, whatever tools its image has.
   */
  async probe(r: Replica, cmd: string[], signal?: AbortSignal): Promise<ExecResult> {
    const engine = this.engine(r.node);
    const sidecar = await this.serially(r.containerId, () => this.currentProbe(r, signal));
    return engine.exec(sidecar, { cmd }, signal);
  }

  /** Starts the replica's probe sidecar now, when there is none, so a later probe only execs. */
  async readyProbe(r: Replica, signal?: AbortSignal): Promise<void> {
    await this.serially(r.containerId, () => this.currentProbe(r, signal));
  }

  /**
   * The replica's probe sidecar, started when there is none. A container that started again
   * (a restart, its restart policy) has a new network namespace; a sidecar that joined the
   * old one would see no network at all, so it is replaced.
   */
  private async currentProbe(r: Replica, signal?: AbortSignal): Promise<string> {
    const engine = this.engine(r.node);
    // Read once per start, not once per probe: a start is a change the feed reports.
    const { startedAt } = await this.runningState(r, signal);
    const known = this.probes.get(r.containerId);
    if (known && known.startedAt === startedAt) return known.id;
    await this.dropProbe(r);
    const id = this.startProbe(engine, r, signal);
    this.probes.set(r.containerId, { startedAt, id });
    id.catch(() => {
      if (this.probes.get(r.containerId)?.id === id) this.probes.delete(r.containerId);
    });
    return id;
  }

  /** Runs `fn` after every earlier call for the same key has settled. */
  private serially<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const next = (this.queues.get(key) ?? Promise.resolve()).then(fn, fn);
    this.queues.set(
      key,
      next.catch(() => undefined),
    );
    return next;
  }

  /** Forgets a replica's probe sidecar and removes it, whatever the caller's signal says. */
  private async dropProbe(r: Replica): Promise<void> {
    const probe = this.probes.get(r.containerId);
    if (!probe) return;
    this.probes.delete(r.containerId);
    const id = await probe.id.catch(() => undefined);
    if (id) await this.engine(r.node).removeContainer(id, timeoutSignal(QUICK_CALL_MS));
  }

  /** A helper image (probe, fault tools) on a node: there, carried from the runner, or pulled. */
  helperImage(node: string, ref: string, signal?: AbortSignal): Promise<unknown> {
    return provideHelperImage(this.engine(node), ref, this.carrier, signal);
  }

  private async startProbe(engine: Engine, r: Replica, signal?: AbortSignal): Promise<string> {
    await this.helperImage(r.node, this.probeImage, signal);
    return engine.runSidecar(
      {
        name: `${r.containerName}-probe-${randomBytes(2).toString('hex')}`,
        image: this.probeImage,
        cmd: ['sleep', '86400'],
        labels: { ...this.runLabels, [LABEL.role]: 'probe' },
        networkOf: r.containerId,
      },
      signal,
    );
  }
}

function publishedBinding(s: ContainerState, port: number, protocol: string) {
  return s.ports.find((p) => p.target === port && p.protocol === protocol && p.hostPort > 0);
}

/** The target's address on a network the source is on too: it reaches that one container. */
function sharedAddress(source: ContainerState, target: ContainerState): string | undefined {
  const mine = new Set((source.networks ?? []).map((n) => n.name));
  const n = (target.networks ?? []).find((t) => mine.has(t.name) && (t.ipv4 || t.ipv6));
  return n?.ipv4 ?? (n?.ipv6 && `[${n.ipv6}]`);
}
