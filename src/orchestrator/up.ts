import { setMaxListeners } from 'node:events';
import { performance } from 'node:perf_hooks';
import type { Clock } from '../common/clock.js';
import { formatDuration } from '../common/duration.js';
import { errorMessage, type SourcePos } from '../common/errors.js';
import { engineMessage, isEngineError } from '../engine/engine.js';
import type { ContainerState, Engine } from '../engine/engine.js';
import { deadline, IMAGE_CALL_MS, InFlight, isAbort, QUICK_CALL_MS } from '../common/deadline.js';
import { runLabels, type RunIdentity } from './identity.js';
import { LABEL } from '../common/labels.js';
import { contextServices, withServiceContexts } from './build-contexts.js';
import { replicaRequest, sharesAnother, topologyLabels } from './replica-request.js';
import type { TopologyPlan, ServicePlan } from './plan.js';
import type { Progress, ServicePhase } from './progress.js';
import { diagnose } from './diagnose.js';
import { ProbedUnhealthy, probeUntilHealthy, whileStarting } from './early-health.js';
import { retry, RetryError, type RetryOptions, type RetryPolicy } from '../common/retry.js';
import type { BuildSpec } from '../compose/model.js';
import type { CrossDependency } from '../model/suite.js';
import type { Readiness, ServiceBoard } from './board.js';
import type { ImageCarrier } from './carry.js';
import { buildKey, type ImageCache } from './image-cache.js';
import type { ContainerWatcher } from './watcher.js';
import { withTimeout } from '../common/timeout.js';

export interface UpContext {
  engine: Engine;
  watcher: ContainerWatcher;
  identity: RunIdentity;
  /** Aborts on cancellation (SIGINT/SIGTERM). */
  signal: AbortSignal;
  progress: Progress;
  inFlight: InFlight;
  /** performance.now() when the run started: every time in the results counts from it. */
  runStart: number;
  /** Builds and pulls shared across topologies on the same engine, by image reference. */
  images: Map<string, Promise<void>>;
  /** Waits between image attempts (retries and their backoff) are slept on this clock. */
  clock: Clock;
  /** Pulls retry every failure but the registry's definitive ones; builds only network failures. */
  pullRetry: RetryPolicy;
  /** With `images.carry`: an image the node lacks is loaded from the runner's engine before any pull. */
  carrier?: ImageCarrier;
  /** Built images kept between jobs: restored instead of built; what is built is handed over. */
  imageCache?: ImageCache;
  /** The handovers to imageCache, which the run awaits before its engines close. */
  keeping?: Promise<void>[];
  /** Starts wait for it (the sweep of stale runs, whose containers may hold this run's host ports). */
  beforeStart?: Promise<void>;
  /** Every service of the run, for services that wait for one of another topology. */
  board: ServiceBoard;
}

/**
 * Creates and starts. The engine works through them a few at a time: fifty at once on two busy
 * CPUs took over 30 s for the last (measured by bench/bringup.mjs), which is no failure. One
 * that runs out is reported as the service's failure, not as a cancellation.
 */
const START_CALL_MS = 120_000;

export interface ServiceOutcome {
  name: string;
  status: Readiness | 'failed' | 'cancelled' | 'pending';
  health: 'healthy' | 'unhealthy' | 'starting' | 'none' | 'unknown';
  /** When its dependencies held and the engine was asked to start it. */
  startingMs?: number;
  startedMs?: number;
  healthyMs?: number;
  /**
   * Who said "healthy" first, for the replica that was last to be: the engine's own
   * healthcheck status, or stackcheck running the same healthcheck command early (the
   * engine's status may still read `starting` then, until its next tick).
   */
  healthSource?: HealthSource;
  containers: string[];
  /** Why it runs without the GPUs it reserves (`gpu: optional` on an engine that has none). */
  withoutGpu?: string;
}

export type HealthSource = 'engine' | 'probe';

export interface TopologyOutcome {
  name: string;
  node: string;
  status: 'up' | 'failed' | 'error' | 'cancelled';
  services: ServiceOutcome[];
  failure?: ServiceFailure;
}

/**
 * Why a service could not be brought up. `input` failures come from what the user wrote or
 * the machine lacks (a missing image, a port already taken): the CLI exits 2 for them.
 */
export class ServiceFailure extends Error {
  constructor(
    readonly service: string,
    message: string,
    readonly kind: 'input' | 'failure',
    readonly details: string[] = [],
    readonly pos?: SourcePos,
  ) {
    super(message);
    this.name = 'ServiceFailure';
  }
}

/**
 * A service not started because a service of another topology that it waits for did not come
 * up: it is cancelled, and its topology fails with this message naming the dependency.
 */
export class DependencyFailure extends ServiceFailure {
  constructor(service: string, message: string, pos: SourcePos) {
    super(service, message, 'failure', [], pos);
    this.name = 'DependencyFailure';
  }
}

interface ServiceTask {
  plan: ServicePlan;
  outcome: ServiceOutcome;
  started: Promise<void>;
  ready: Promise<Readiness>;
}

/**
 * Brings one topology up: networks and volumes first, then every service as soon as its own
 * image is ready and its own dependencies' conditions hold, so independent chains never wait
 * for each other. Resolves when every service is ready, or with the first failure, after
 * which everything still waiting is cancelled. It creates; teardown removes.
 */
export async function upTopology(tp: TopologyPlan, ctx: UpContext): Promise<TopologyOutcome> {
  const name = tp.spec.name;
  const local = new AbortController();
  const signal = AbortSignal.any([ctx.signal, local.signal]);
  const waitDeadline = withTimeout(signal, tp.spec.waitTimeoutMs);
  // Every container's wait listens on these: dozens of listeners are expected, not a leak.
  setMaxListeners(0, signal, waitDeadline);
  const run = runLabels(ctx.identity);
  const emit = (service: string, phase: ServicePhase, detail?: string) =>
    ctx.progress.emit({
      kind: 'service',
      topology: name,
      service,
      phase,
      atMs: since(ctx.runStart),
      detail,
    });

  const tasks = new Map<string, ServiceTask>();
  /** What made the topology give up: its services that were cancelled by it say so to their waiters. */
  let firstFailure: unknown;
  try {
    // Images are checked (and pulled) while networks and volumes are made: creates need both.
    // One that fails on its own (not cancelled by a service's failure) fails the topology.
    let infraFailure: unknown;
    const infra = Promise.all([
      ...tp.networks.map((n) =>
        prepareNetwork(n, topologyLabels(run, tp), networkUsers(tp, n.engineName), ctx, signal),
      ),
      ...tp.volumes.map((v) =>
        prepareVolume(v, topologyLabels(run, tp), volumeUsers(tp, v.key), ctx, signal),
      ),
    ]).catch((e: unknown) => {
      if (!signal.aborted) {
        infraFailure = e;
        local.abort(new Error('a network or volume could not be made'));
      }
      throw e;
    });
    infra.catch(() => undefined); // services await it; its failure is reported once, below

    for (const sp of tp.services) {
      const outcome: ServiceOutcome = {
        name: sp.spec.name,
        status: 'pending',
        health: 'unknown',
        containers: [],
      };
      let markStarted!: () => void;
      const started = new Promise<void>((r) => (markStarted = r));
      const ready = (async (): Promise<Readiness> => {
        const depsHold = Promise.all([
          ...sp.deps.map((d) => dependencyHolds(sp, d, tasks.get(d.service)!)),
          ...sp.crossDeps.map((d) => crossDependencyHolds(sp, d, ctx.board)),
        ]);
        depsHold.catch(() => undefined); // awaited below, or the image's failure comes first
        // A build that names another service's image (additional_contexts: service:X) needs it first.
        for (const other of contextServices(sp, tp)) await ensureImage(other, ctx, signal, emit);
        await ensureImage(withServiceContexts(sp, tp), ctx, signal, emit);
        await infra;
        // Only the start waits for the dependencies: the container is created meanwhile (as
        // compose does), so a link in a chain costs a start, not a create and a start. One
        // that joins another container's namespaces or mounts its volumes needs it first.
        const early = !sharesAnother(sp.spec);
        if (early) await createReplicas(sp, tp, ctx, signal, run, outcome);
        await depsHold;
        await ctx.beforeStart;
        outcome.startingMs = since(ctx.runStart);
        emit(sp.spec.name, 'starting');
        if (!early) await createReplicas(sp, tp, ctx, signal, run, outcome);
        await whileStarting(ctx.engine, () => startReplicas(sp, tp, ctx, signal, run, outcome));
        outcome.startedMs = since(ctx.runStart);
        markStarted();
        emit(sp.spec.name, 'started');
        const readiness = await waitReady(sp, outcome, ctx, waitDeadline, tp.spec);
        outcome.status = readiness;
        outcome.healthyMs = since(ctx.runStart);
        emit(
          sp.spec.name,
          readiness,
          outcome.healthSource === 'probe' ? 'healthcheck passed (early probe)' : undefined,
        );
        return readiness;
      })();
      // A dependent awaiting `started` must learn of a failure before the start, too.
      const startedOrFailed = Promise.race([started, ready.then(() => undefined)]);
      startedOrFailed.catch(() => undefined); // rejections reach dependents that await it; no one else
      ready.catch((e: unknown) => {
        firstFailure ??= e;
        local.abort(new Error('a service failed'));
      });
      tasks.set(sp.spec.name, { plan: sp, outcome, started: startedOrFailed, ready });
      const fate = (e: unknown): never => {
        throw new Error(whatBecameOf(sp.spec.name, name, e, firstFailure, ctx.signal));
      };
      ctx.board.publish(`${name}/${sp.spec.name}`, startedOrFailed.catch(fate), ready.catch(fate));
    }

    const settled = await Promise.allSettled([...tasks.values()].map((t) => t.ready));
    const cancelPending = () => {
      for (const t of tasks.values())
        if (t.outcome.status === 'pending') t.outcome.status = 'cancelled';
    };
    if (infraFailure !== undefined) {
      cancelPending();
      throw infraFailure;
    }
    const failure = pickFailure(settled, tasks);
    if (!failure) return { name, node: tp.spec.node, status: 'up', services: outcomes(tasks) };
    cancelPending();
    if (failure instanceof ServiceFailure) {
      const failed = tasks.get(failure.service);
      if (failed && failure.kind === 'failure' && !(failure instanceof DependencyFailure))
        failure.details.push(...(await diagnose(ctx.engine, failed.outcome.containers)));
      emit(failure.service, 'failed', failure.message);
      return {
        name,
        node: tp.spec.node,
        status: failure.kind === 'input' ? 'error' : 'failed',
        services: outcomes(tasks),
        failure,
      };
    }
    return { name, node: tp.spec.node, status: 'cancelled', services: outcomes(tasks) };
  } catch (e) {
    if (isAbort(e) && ctx.signal.aborted)
      return { name, node: tp.spec.node, status: 'cancelled', services: outcomes(tasks) };
    const failure =
      e instanceof ServiceFailure ? e : new ServiceFailure('', errorMessage(e), 'failure');
    return {
      name,
      node: tp.spec.node,
      status: failure.kind === 'input' ? 'error' : 'failed',
      services: outcomes(tasks),
      failure,
    };
  }
}

function since(start: number): number {
  return Math.round(performance.now() - start);
}

function outcomes(tasks: Map<string, ServiceTask>): ServiceOutcome[] {
  return [...tasks.values()].map((t) => t.outcome);
}

/** The root cause among the failures: a service's own failure, not a dependent that was cancelled because of it. */
function pickFailure(
  settled: PromiseSettledResult<Readiness>[],
  tasks: Map<string, ServiceTask>,
): ServiceFailure | Error | undefined {
  const list = [...tasks.values()];
  let cancelled: Error | undefined;
  for (const [i, r] of settled.entries()) {
    if (r.status === 'fulfilled') continue;
    const outcome = list[i]!.outcome;
    if (r.reason instanceof DependencyFailure) {
      outcome.status = 'cancelled';
      cancelled = cancelled instanceof DependencyFailure ? cancelled : r.reason;
      continue;
    }
    if (r.reason instanceof ServiceFailure) {
      outcome.status = 'failed';
      return r.reason;
    }
    outcome.status = 'cancelled';
    cancelled ??= r.reason as Error;
  }
  return cancelled;
}

/** The services that join this network, for a failure that stops them all before they start. */
function networkUsers(tp: TopologyPlan, engineName: string): string[] {
  return tp.services
    .filter((s) => s.networks.some((n) => n.name === engineName))
    .map((s) => s.spec.name);
}

/** The services that mount this (compose-level) volume. */
function volumeUsers(tp: TopologyPlan, key: string): string[] {
  return tp.services
    .filter((s) => s.spec.mounts.some((m) => m.type === 'volume' && m.source === key))
    .map((s) => s.spec.name);
}

/**
 * What the engine refused before any service started (a network, a volume): named, at its
 * compose position, with the services it stops, so reports say more than "did not come up".
 */
async function beforeServices(
  what: string,
  users: string[],
  pos: SourcePos | undefined,
  ctx: UpContext,
  signal: AbortSignal,
  create: Promise<unknown>,
): Promise<void> {
  try {
    await ctx.inFlight.track(create);
  } catch (e) {
    if (isAbort(e) || signal.aborted) throw e;
    throw new ServiceFailure(
      '',
      `node "${ctx.engine.node}" refused to create ${what}: ${engineMessage(e)}`,
      'failure',
      users.length ? [`services that use it, not started: ${users.join(', ')}`] : [],
      pos,
    );
  }
}

async function prepareNetwork(
  n: TopologyPlan['networks'][number],
  labels: Record<string, string>,
  users: string[],
  ctx: UpContext,
  signal: AbortSignal,
): Promise<void> {
  if (!n.create) {
    if (!(await ctx.engine.networkExists(n.engineName, deadline(signal, QUICK_CALL_MS)))) {
      throw new ServiceFailure(
        '',
        `external network "${n.engineName}" does not exist on node "${ctx.engine.node}"`,
        'input',
        [],
        n.spec.pos,
      );
    }
    return;
  }
  await beforeServices(
    `network "${n.key}"`,
    users,
    n.spec.pos,
    ctx,
    signal,
    ctx.engine.createNetwork(
      { name: n.engineName, spec: n.spec, labels },
      deadline(signal, QUICK_CALL_MS),
    ),
  );
}

async function prepareVolume(
  v: TopologyPlan['volumes'][number],
  labels: Record<string, string>,
  users: string[],
  ctx: UpContext,
  signal: AbortSignal,
): Promise<void> {
  if (!v.create) return; // An external volume that is missing is reported by the engine at container create.
  await beforeServices(
    `volume "${v.key}"`,
    users,
    v.spec.pos,
    ctx,
    signal,
    ctx.engine.createVolume(
      { name: v.engineName, spec: v.spec, labels },
      deadline(signal, QUICK_CALL_MS),
    ),
  );
}

/** The build's key for the image cache; none, with a warning, where its context cannot be read. */
function cacheKeyOf(ref: string, build: BuildSpec, ctx: UpContext): string | undefined {
  try {
    return buildKey(ref, build);
  } catch (e) {
    ctx.progress.emit({
      kind: 'note',
      level: 'warn',
      text: `image cache: the build context of ${ref} cannot be read (${errorMessage(e)}); building it without the cache`,
    });
    return undefined;
  }
}

/**
 * A build whose inputs the image cache holds is loaded instead of built. A cache that fails is
 * a warning and the build goes on: the cache only ever saves time.
 */
async function restoreBuilt(
  ref: string,
  key: string,
  sp: ServicePlan,
  ctx: UpContext,
  signal: AbortSignal,
): Promise<boolean> {
  try {
    if (!(await ctx.imageCache!.restore(key, ref, ctx.engine, signal))) return false;
    if (!(await ctx.engine.imageExists(ref, deadline(signal, QUICK_CALL_MS))))
      throw new Error(`node "${ctx.engine.node}" loaded it but has no ${ref} afterwards`);
  } catch (e) {
    if (isAbort(e) || signal.aborted) throw e;
    ctx.progress.emit({
      kind: 'note',
      level: 'warn',
      text: `image cache: restoring ${ref} for "${sp.spec.name}" failed (${errorMessage(e)}); building it`,
    });
    return false;
  }
  ctx.progress.emit({
    kind: 'note',
    level: 'info',
    text: `image cache: ${ref} for "${sp.spec.name}" restored (build key ${key.slice(0, 12)}), not built`,
  });
  return true;
}

function ensureImage(
  sp: ServicePlan,
  ctx: UpContext,
  signal: AbortSignal,
  emit: (service: string, phase: ServicePhase, detail?: string) => void,
): Promise<void> {
  const { ref, build } = sp.image;
  const key = `${build ? 'build' : 'image'}:${ref}`;
  let p = ctx.images.get(key);
  if (!p) {
    const retrying = (what: string, retryable: (e: unknown) => boolean): RetryOptions => ({
      clock: ctx.clock,
      signal,
      describe: engineMessage,
      retryable,
      onRetry: (f, waitMs, left) =>
        ctx.progress.emit({
          kind: 'note',
          level: 'warn',
          text: `${what} ${ref} for "${sp.spec.name}" failed (attempt ${f.attempt}): ${f.message}; trying again in ${formatDuration(waitMs)} (${left} more ${left === 1 ? 'attempt' : 'attempts'})`,
        }),
    });
    p = (async () => {
      if (build) {
        const cacheKey = ctx.imageCache && cacheKeyOf(ref, build, ctx);
        if (cacheKey && (await restoreBuilt(ref, cacheKey, sp, ctx, signal))) return;
        emit(sp.spec.name, 'building', ref);
        const tail: string[] = [];
        try {
          await retry(
            async () => {
              tail.length = 0;
              await ctx.engine.buildImage(
                {
                  tag: ref,
                  build,
                  labels: { [LABEL.image]: 'built' },
                  onProgress: (line) => tail.push(line) > 20 && tail.shift(),
                },
                deadline(signal, IMAGE_CALL_MS),
              );
            },
            ctx.pullRetry,
            retrying('building', (e) => isEngineError(e, 'transient')),
          );
        } catch (e) {
          if (isAbort(e) || signal.aborted) throw e;
          throw new ServiceFailure(
            sp.spec.name,
            `building image ${ref} ${failedText(e)}`,
            'input',
            ['last build output:', ...tail],
            build.pos,
          );
        }
        if (cacheKey) ctx.keeping?.push(ctx.imageCache!.keep(cacheKey, ref, ctx.engine));
        return;
      }
      if (await ctx.engine.imageExists(ref, deadline(signal, QUICK_CALL_MS))) return;
      if (sp.spec.pullPolicy === 'never') {
        throw new ServiceFailure(
          sp.spec.name,
          `image ${ref} is not on node "${ctx.engine.node}" and pull_policy is "never"`,
          'input',
          [],
          sp.spec.pos,
        );
      }
      if (ctx.carrier && !ctx.carrier.isRunner(ctx.engine.node)) {
        emit(sp.spec.name, 'carrying', ref);
        try {
          if (await ctx.carrier.carry(ref, ctx.engine, deadline(signal, IMAGE_CALL_MS))) return;
        } catch (e) {
          if (isAbort(e) || signal.aborted) throw e;
          throw new ServiceFailure(
            sp.spec.name,
            `carrying image ${ref} from the runner to node "${ctx.engine.node}" ${failedText(e)}`,
            'input',
            [],
            sp.spec.pos,
          );
        }
      }
      emit(sp.spec.name, 'pulling', ref);
      try {
        await retry(
          () => ctx.engine.pullImage(ref, deadline(signal, IMAGE_CALL_MS)),
          ctx.pullRetry,
          retrying(
            'pulling',
            // Anything but the registry's definitive no (the engine reads its words).
            (e) => !isEngineError(e, 'denied', 'not-found', 'invalid', 'unsupported'),
          ),
        );
      } catch (e) {
        if (isAbort(e) || signal.aborted) throw e;
        throw new ServiceFailure(
          sp.spec.name,
          `image ${ref} is not on node "${ctx.engine.node}" and pulling it ${failedText(e)}. ` +
            (ctx.carrier
              ? 'The runner does not have it either: build or pull it on the runner first.'
              : 'Build it there first (or give the service a `build:`), load it with `docker load`, or set `images: { carry: true }` to copy it from the runner.'),
          'input',
          [],
          sp.spec.pos,
        );
      }
      // A pull that reports success but leaves no image (a platform mismatch, a daemon that
      // dropped it) must fail here, by name, not later as an unexplained create error.
      if (!(await ctx.engine.imageExists(ref, deadline(signal, QUICK_CALL_MS)))) {
        throw new ServiceFailure(
          sp.spec.name,
          `pulling image ${ref} reported success, but node "${ctx.engine.node}" has no such image afterwards`,
          'input',
          ["Check the image's platform against the node's, or load the image with `docker load`."],
          sp.spec.pos,
        );
      }
    })();
    ctx.images.set(key, p);
    p.catch(() => ctx.images.delete(key));
  }
  return p;
}

/** What the waiters of a service in other topologies are told when it does not come up. */
function whatBecameOf(
  service: string,
  topology: string,
  e: unknown,
  first: unknown,
  run: AbortSignal,
): string {
  if (e instanceof DependencyFailure && e.service === service)
    return `did not come up: ${e.message}`;
  if (e instanceof ServiceFailure && e.service === service) return `failed: ${e.message}`;
  if (run.aborted) return 'did not come up: the run was cancelled';
  return `did not come up: topology "${topology}" failed: ${errorMessage(first ?? e)}`;
}

/**
 * A dependency on a service of another topology (the topology's `depends_on`), on this node
 * or another: it holds as a compose depends_on does; when that service does not come up, this
 * one is not started, and says which dependency and why.
 */
async function crossDependencyHolds(
  sp: ServicePlan,
  dep: CrossDependency,
  board: ServiceBoard,
): Promise<void> {
  const key = `${dep.on.topology}/${dep.on.service}`;
  const waits = `service "${sp.spec.name}" waits for ${key} (${dep.condition})`;
  let readiness: Readiness;
  try {
    if (dep.condition === 'service_started') return await board.started(key);
    readiness = await board.ready(key);
  } catch (e) {
    throw new DependencyFailure(sp.spec.name, `${waits}, which ${errorMessage(e)}`, dep.pos);
  }
  if (dep.condition === 'service_healthy' && readiness !== 'healthy') {
    throw new ServiceFailure(
      sp.spec.name,
      `${waits}, but ${key} has no healthcheck`,
      'input',
      [],
      dep.pos,
    );
  }
}

/** "failed: why", or "failed 3 times (5.0s, 15.0s apart): attempt 1: …; attempt 2: …". */
function failedText(e: unknown): string {
  return e instanceof RetryError ? e.message : `failed: ${engineMessage(e)}`;
}

async function dependencyHolds(
  sp: ServicePlan,
  dep: ServicePlan['deps'][number],
  task: ServiceTask,
): Promise<void> {
  if (dep.condition === 'service_started') return task.started;
  const readiness = await task.ready;
  if (dep.condition === 'service_healthy' && readiness !== 'healthy') {
    throw new ServiceFailure(
      sp.spec.name,
      `"${sp.spec.name}" waits for "${dep.service}" to be healthy, but "${dep.service}" has no healthcheck`,
      'input',
      [],
      sp.spec.dependsOn[dep.service]?.pos,
    );
  }
}

async function createReplicas(
  sp: ServicePlan,
  tp: TopologyPlan,
  ctx: UpContext,
  signal: AbortSignal,
  run: Record<string, string>,
  outcome: ServiceOutcome,
): Promise<void> {
  // A secret or config read from a variable that is not set, an external one, one whose file
  // is not there: compose up refuses them too.
  const missing = sp.spec.injectedFiles?.find((f) => f.unset !== undefined || f.unavailable);
  if (missing)
    throw new ServiceFailure(
      sp.spec.name,
      missing.unset !== undefined
        ? `service "${sp.spec.name}" needs ${missing.target}, read from the variable ${missing.unset}, which is not set`
        : `service "${sp.spec.name}" needs ${missing.target}: ${missing.unavailable}`,
      'input',
      [],
      missing.pos,
    );
  await Promise.all(
    sp.containerNames.map(async (containerName, i) => {
      let id: string;
      try {
        id = await ctx.inFlight.track(
          ctx.engine.createContainer(
            replicaRequest(tp, sp, i + 1, run),
            deadline(signal, START_CALL_MS),
          ),
        );
      } catch (e) {
        if (isAbort(e) && signal.aborted) throw e;
        // The engine refuses what the compose file asks for (a missing bind source, a bad
        // option), or did not answer in time (no fault of the input).
        throw new ServiceFailure(
          sp.spec.name,
          `container ${containerName} could not be created: ${engineMessage(e)}`,
          isAbort(e) ? 'failure' : 'input',
          [],
          sp.spec.pos,
        );
      }
      outcome.containers[i] = id;
    }),
  );
}

async function startReplicas(
  sp: ServicePlan,
  tp: TopologyPlan,
  ctx: UpContext,
  signal: AbortSignal,
  run: Record<string, string>,
  outcome: ServiceOutcome,
): Promise<void> {
  const start = (id: string) =>
    ctx.inFlight.track(ctx.engine.startContainer(id, deadline(signal, START_CALL_MS)));
  await Promise.all(
    outcome.containers.map(async (id, i) => {
      try {
        await start(id);
      } catch (e) {
        if (isAbort(e) && signal.aborted) throw e;
        const why = noGpu(e, ctx.engine.node);
        if (!why) throw startFailure(sp, sp.containerNames[i]!, e);
        if (tp.spec.gpu !== 'optional') throw gpuRequired(sp, tp, why);
        // `gpu: optional`: the same container without its device requests, marked with why.
        try {
          await ctx.inFlight.track(ctx.engine.removeContainer(id, deadline(signal, QUICK_CALL_MS)));
          const without = await ctx.inFlight.track(
            ctx.engine.createContainer(
              replicaRequest(tp, sp, i + 1, run, why),
              deadline(signal, START_CALL_MS),
            ),
          );
          outcome.containers[i] = without;
          outcome.withoutGpu = why;
          await start(without);
        } catch (e2) {
          if (isAbort(e2) && signal.aborted) throw e2;
          throw startFailure(sp, sp.containerNames[i]!, e2);
        }
      }
    }),
  );
  if (outcome.withoutGpu)
    ctx.progress.emit({
      kind: 'note',
      level: 'warn',
      text: `topology ${tp.spec.name}: service "${sp.spec.name}" runs without its GPU (gpu: optional): ${outcome.withoutGpu}; its gpu checks are skipped`,
    });
}

/**
 * The engine's refusal of a GPU device request, as why the service gets none: no device driver
 * for it (Docker without the NVIDIA Container Toolkit), or a driver that finds no GPU or not
 * the one asked for. Undefined for any other refusal.
 */
function noGpu(e: unknown, node: string): string | undefined {
  return isEngineError(e, 'no-device')
    ? `node "${node}" cannot give it a GPU: ${engineMessage(e)}`
    : undefined;
}

function gpuRequired(sp: ServicePlan, tp: TopologyPlan, why: string): ServiceFailure {
  return new ServiceFailure(
    sp.spec.name,
    `service "${sp.spec.name}" reserves a GPU, but ${why}`,
    'input',
    [
      `Install the NVIDIA Container Toolkit on node "${sp.node}" and restart its engine, or set \`gpu: optional\` on topology "${tp.spec.name}" to run the service without its GPU.`,
    ],
    sp.spec.pos,
  );
}

/** A start refused by the engine; a taken host port is the user's to fix, at the port's line. */
function startFailure(sp: ServicePlan, containerName: string, e: unknown): ServiceFailure {
  const msg = engineMessage(e);
  if (isEngineError(e, 'port-in-use')) {
    // Where the engine does not name the port, the service's only fixed host port is the one.
    const fixed = sp.spec.ports.filter((p) => p.published !== undefined);
    const port = e.port ?? (fixed.length === 1 ? fixed[0]!.published : undefined);
    const decl = sp.spec.ports.find((p) => p.published === port);
    return new ServiceFailure(
      sp.spec.name,
      port === undefined
        ? `a published host port of service "${sp.spec.name}" is already in use on node "${sp.node}": ${msg}`
        : `host port ${port} for service "${sp.spec.name}" is already in use on node "${sp.node}"`,
      'input',
      [
        'Stop what holds it, change the published port, or set `publish: ephemeral` on the topology so the engine picks free ports.',
      ],
      decl?.pos ?? sp.spec.pos,
    );
  }
  return new ServiceFailure(
    sp.spec.name,
    `container ${containerName} did not start: ${msg}`,
    'failure',
    [],
    sp.spec.pos,
  );
}

/**
 * Waits until every replica is ready: healthy where it has a healthcheck; otherwise running
 * for `stableMs` without exiting (a crash right after start is a failure, not "running");
 * or exited 0 (a one-shot job). Each replica is decided on its own, from engine events.
 */
export async function waitReady(
  sp: ServicePlan,
  outcome: ServiceOutcome,
  ctx: UpContext,
  waitDeadline: AbortSignal,
  topology: TopologyPlan['spec'],
): Promise<Readiness> {
  const restarts = sp.spec.restart && sp.spec.restart.policy !== 'no';
  const startedAt = performance.now();
  const decide = (s: ContainerState): Readiness | Error | undefined => {
    outcome.health = s.health?.status ?? 'none';
    if (s.status === 'exited' || s.status === 'dead') {
      if (s.exitCode === 0) return 'completed';
      if (restarts) return undefined; // The engine's restart policy gets its chance until the deadline.
      return new Error(
        `exited with code ${s.exitCode}${s.oomKilled ? ' (killed: out of memory)' : ''}`,
      );
    }
    if (sp.mustComplete || s.status !== 'running') return undefined;
    if (!s.health)
      return performance.now() - startedAt >= topology.stableMs ? 'running' : undefined;
    if (s.health.status === 'healthy') return 'healthy';
    if (s.health.status === 'unhealthy') return new Error('is unhealthy');
    return undefined;
  };
  const hc = sp.spec.healthcheck && !sp.spec.healthcheck.disable ? sp.spec.healthcheck : undefined;
  // Without a healthcheck, the stability window ends on a timer, not an event: re-read sooner.
  const recheckMs = hc ? undefined : Math.max(50, topology.stableMs / 4);
  /** The engine's verdict, or, sooner, the healthcheck command passing when stackcheck runs it. */
  const replicaReady = async (id: string): Promise<Readiness | Error> => {
    const done = new AbortController();
    const signal = AbortSignal.any([waitDeadline, done.signal]);
    const engineSays = ctx.watcher.until(id, decide, signal, recheckMs).then((v) => {
      if (v === 'healthy') outcome.healthSource = 'engine';
      return v;
    });
    const probeSays =
      hc && !sp.mustComplete
        ? probeUntilHealthy(ctx.engine, id, hc, ctx.clock, signal).then(
            () => {
              outcome.health = 'healthy';
              outcome.healthSource = 'probe';
              return 'healthy' as const;
            },
            (e: unknown) => {
              if (!(e instanceof ProbedUnhealthy)) throw e;
              outcome.health = 'unhealthy';
              return e;
            },
          )
        : engineSays;
    // The loser rejects with `done`'s reason once the winner is known: that is expected.
    engineSays.catch(() => undefined);
    probeSays.catch(() => undefined);
    try {
      return await Promise.race([engineSays, probeSays]);
    } finally {
      done.abort();
    }
  };
  try {
    const verdicts = await Promise.all(outcome.containers.map(replicaReady));
    const bad = verdicts.find((v): v is Error => v instanceof Error);
    if (bad)
      throw new ServiceFailure(
        sp.spec.name,
        `service "${sp.spec.name}" ${bad.message}`,
        'failure',
        bad instanceof ProbedUnhealthy ? probedDetails(bad) : [],
        sp.spec.pos,
      );
    // Mixed replicas (one healthy, one completed) report the weakest.
    return (
      (['completed', 'running', 'healthy'] as const).find((r) => verdicts.includes(r)) ?? 'running'
    );
  } catch (e) {
    if ((e as Error)?.name === 'TimeoutError' && waitDeadline.aborted && !ctx.signal.aborted) {
      const what = sp.mustComplete ? 'finished' : outcome.health === 'none' ? 'running' : 'healthy';
      throw new ServiceFailure(
        sp.spec.name,
        `service "${sp.spec.name}" was not ${what} within ${formatDuration(topology.waitTimeoutMs)}`,
        'failure',
        [],
        sp.spec.pos,
      );
    }
    throw e;
  }
}

/** What stackcheck saw where the engine ran no healthcheck (the engine's own log is empty). */
function probedDetails(e: ProbedUnhealthy): string[] {
  return [
    `the engine ran none of its healthchecks in ${formatDuration(e.elapsedMs)} (Podman runs them ` +
      `from systemd timers); stackcheck ran the healthcheck ${e.runs} times and it failed every time`,
    '  last health checks (run by stackcheck):',
    ...e.failures.map(
      (f) =>
        `    exit ${f.exitCode}: ${f.output.trim().replace(/\s*\n\s*/g, ' | ') || '(no output)'}`,
    ),
  ];
}
