import { setMaxListeners } from 'node:events';
import { performance } from 'node:perf_hooks';
import { runChecks } from './checks/runner.js';
import { runScenarios } from './scenarios/runner.js';
import { OomCounter } from './live/oom-counter.js';
import { Runtime } from './live/runtime.js';
import { realClock, type Clock } from './common/clock.js';
import { connect, dockerEngineFor, engineUrl, type EngineFactory } from './engine/connect.js';
import { countingEngine, type EngineCalls } from './engine/count.js';
import { engineMessage, type Engine, type EngineInfo } from './engine/engine.js';
import type { ServiceSpec } from './compose/model.js';
import type { Suite } from './model/suite.js';
import { errorMessage, isUserError, UserError } from './common/errors.js';
import { ImageCarrier } from './orchestrator/carry.js';
import { InFlight, QUICK_CALL_MS } from './common/deadline.js';
import { StopOrder, teardownRun, type TeardownReport } from './orchestrator/down.js';
import { EngineAvailability } from './engine/availability.js';

/** How long a run waits for an engine that stopped answering (a dockerd restart) before teardown. */
const ENGINE_RETURN_MS = 60_000;
import { newRunIdentity, runLabels, type RunIdentity } from './orchestrator/identity.js';
import { LABEL } from './common/labels.js';
import { plan as makePlan } from './orchestrator/plan.js';
import { DEFAULT_PULL_RETRY } from './common/retry.js';
import { silentProgress, type Progress } from './orchestrator/progress.js';
import { redactor } from './common/redact.js';
import { warmFetch } from './common/warm-fetch.js';
import { takeAll } from './snapshot/collect.js';
import type { Snapshot } from './snapshot/model.js';
import { sweep } from './orchestrator/sweep.js';
import { upTopology, type TopologyOutcome, type UpContext } from './orchestrator/up.js';
import {
  attachedOf,
  attachTopology,
  runEventFilter,
  serviceFilter,
} from './orchestrator/attach.js';
import { ContainerWatcher } from './orchestrator/watcher.js';
import { ServiceBoard } from './orchestrator/board.js';
import type { ImageCache } from './orchestrator/image-cache.js';
import type { CheckResult, RunResults, ScenarioResult, TopologyResult } from './model/results.js';
import { timeoutSignal, withTimeout } from './common/timeout.js';

export interface RunOptions {
  /** Aborting it (SIGINT/SIGTERM) stops waiting and tears down; its reason names the signal. */
  signal?: AbortSignal;
  progress?: Progress;
  /** Leave everything running for inspection; `stackcheck down --run ID` removes it later. */
  keep?: boolean;
  engineFactory?: EngineFactory;
  /** After this long a run counts as abandoned and any later run may sweep it. */
  lifetimeMs?: number;
  /** How many checks run at once. */
  concurrency?: number;
  clock?: Clock;
  /**
   * Called once the run has its id, before anything is created: an adapter records it where a
   * later cleanup (the action's post step) finds it even if this process is killed.
   */
  onStart?: (run: { runId: string; suite: string; nodes: string[] }) => void;
  /** Last log lines taken, before teardown, from each service a failing check targets (0: none). */
  failureLogLines?: number;
  /** Takes the manifest's `snapshots:` after the scenarios, before teardown, into this list. */
  snapshots?: Snapshot[];
  /** Built images kept between runs (the action's `image-cache`): restored instead of built. */
  imageCache?: ImageCache;
}

const DEFAULT_LIFETIME_MS = 6 * 3_600_000;
const SETTLE_MS = 30_000;
const DEFAULT_FAILURE_LOG_LINES = 50;

/** The pipeline: engines → sweep stale runs → plan → up → (checks) → down, always down. */
export async function run(suite: Suite, opts: RunOptions = {}): Promise<RunResults> {
  const signal = opts.signal ?? new AbortController().signal;
  // Every engine call and check attempt of the run listens on it.
  setMaxListeners(0, signal);
  // Secrets are masked here, at the source, so no reporter can leak one.
  const redact = redactor(suite.secrets);
  const sink = opts.progress ?? silentProgress;
  const progress: Progress = { emit: (e) => sink.emit(redact.deep(e)) };
  opts = { ...opts, progress };
  const runStart = performance.now();
  // The same instant on the clock checks and scenarios are timed with (a fake one in tests).
  const clockStart = (opts.clock ?? realClock).now();
  const startedAt = new Date().toISOString();
  const identity = newRunIdentity(suite.name, opts.lifetimeMs ?? DEFAULT_LIFETIME_MS, {
    keep: opts.keep,
  });
  for (const w of suite.warnings)
    progress.emit({
      kind: 'note',
      level: 'warn',
      text: `${w.pos.file}:${w.pos.line}:${w.pos.column}: ${w.message}`,
    });

  const plan = makePlan(suite, identity.runId);
  const usedNodes = [...new Set(suite.topologies.map((t) => t.node))];
  opts.onStart?.({ runId: identity.runId, suite: suite.name, nodes: usedNodes });
  const engines = new Map<string, Engine>();
  const ooms = new Map<string, OomCounter>();
  const keeping: Promise<void>[] = [];
  const calls: EngineCalls = {};
  const factory = opts.engineFactory ?? dockerEngineFor;
  // Each engine is watched for the run: one that stops answering (a dockerd restart) is named,
  // and waited for before teardown (engine/availability.ts).
  const watched = new Map<string, EngineAvailability>();
  const counted: EngineFactory = (node) => {
    const a = new EngineAvailability(countingEngine(factory(node), (calls[node.name] ??= {})));
    watched.set(node.name, a);
    return a.engine;
  };
  const runner = runnerEngine(suite, engines, counted);
  try {
    const infos = new Map<string, EngineInfo>();
    for (const [node, engine, info] of await connectAll(suite, usedNodes, counted, progress)) {
      engines.set(node, engine);
      infos.set(node, info);
    }
    for (const [node, engine] of engines) {
      const silent = infos.get(node)?.oomEvents === false;
      const uncounted = silent
        ? `the engine of node "${node}" reports no out-of-memory kills in its events (Podman does not)`
        : undefined;
      ooms.set(
        node,
        new OomCounter(engine, runEventFilter(suite, node, identity.runId), uncounted),
      );
    }
    // Stale runs are swept while this one creates; only its starts wait, as a stale container
    // may hold a host port that this run publishes.
    const swept = new Map([...engines].map(([node, e]) => [node, sweepStale(e, progress)]));
    progress.emit({
      kind: 'note',
      level: 'info',
      text: `run ${identity.runId}: ${suite.topologies.length} topologies on ${usedNodes.join(', ')}`,
    });

    const outcomes = await bringUp(plan, engines, identity, signal, progress, runStart, swept, {
      clock: opts.clock ?? realClock,
      pullRetry: suite.images?.pull ?? DEFAULT_PULL_RETRY,
      carrier: suite.images?.carry ? runner.carrier : undefined,
      imageCache: opts.imageCache,
      keeping,
    });
    // A bring-up that failed before its starts did not wait for the sweep: it ends before the engines close.
    await Promise.all(swept.values());
    const down = outcomes.list.filter((o) => o.status !== 'up').map((o) => o.name);
    // Only checks, scenarios and snapshots act on the running containers: a run with none of
    // them (bring-up and teardown alone) neither reads the runtime nor warms fetch.
    const live =
      !down.length &&
      (suite.checks.length > 0 ||
        suite.scenarios.length > 0 ||
        !!(opts.snapshots && suite.snapshots));
    // Checks, steps and snapshots fetch from the runner: the first fetch of a process must not
    // be a check's (see common/warm-fetch.ts). Done while the runtime is read, off bring-up's
    // CPU. Not on a test's virtual clock: a real wait there lets virtual time jump ahead.
    const warmed = live && (opts.clock ?? realClock) === realClock ? warmFetch() : undefined;
    const runtime = !live
      ? undefined
      : await Runtime.discover(
          suite,
          engines,
          runLabels(identity),
          suite.probeImage,
          ooms,
          runner.carrier,
          withTimeout(signal, 30_000),
        );
    const notRun = signal.aborted
      ? 'the run was cancelled'
      : `topology ${down.join(', ')} did not come up`;
    await warmed;
    const checks = await checkPhase(suite, runtime, notRun, signal, opts, clockStart);
    const scenarios = await scenarioPhase(suite, runtime, notRun, signal, opts, clockStart);
    if (opts.snapshots && runtime && !signal.aborted)
      opts.snapshots.push(...(await takeAll(runtime, signal)));
    const logs = signal.aborted
      ? undefined
      : await failureLogs(
          checks,
          engines,
          suite,
          identity.runId,
          opts.failureLogLines ?? DEFAULT_FAILURE_LOG_LINES,
        );
    const teardown = opts.keep
      ? ({ kept: true } as const)
      : await tearDown(suite, engines, identity.runId, plan, progress, outcomes.inFlight, {
          watched,
          runStart,
        });
    const r = results(
      suite,
      identity,
      outcomes.list,
      checks,
      scenarios,
      teardown,
      signal,
      runStart,
      startedAt,
    );
    return redact.deep({ ...r, ...(logs && { logs }), engineCalls: calls });
  } finally {
    for (const o of ooms.values()) o.close();
    // Built images are exported for the cache while the run goes on; the engines must outlive that.
    await Promise.allSettled(keeping);
    await Promise.all([...engines.values(), ...runner.opened()].map((e) => e.close()));
  }
}

/**
 * Preflight: every node's engine at once, each within its deadline. Nodes that do not answer
 * are one error naming each of them, before anything is created anywhere; the engines that
 * did answer are closed again.
 */
async function connectAll(
  suite: Suite,
  nodes: string[],
  factory: EngineFactory | undefined,
  progress: Progress,
): Promise<[string, Engine, EngineInfo][]> {
  const settled = await Promise.allSettled(nodes.map((n) => connect(suite.nodes[n]!, factory)));
  for (const [i, s] of settled.entries()) {
    if (s.status !== 'fulfilled') continue;
    for (const text of s.value.notes) progress.emit({ kind: 'note', level: 'warn', text });
    // Where checks reach this node's published ports from here (see engine/in-container.ts).
    if (s.value.address) suite.nodes[nodes[i]!]!.address = s.value.address;
  }
  const failed = settled.flatMap((s) => (s.status === 'rejected' ? [s.reason as unknown] : []));
  if (failed.length) {
    await Promise.all(settled.map((s) => s.status === 'fulfilled' && s.value.engine.close()));
    const problems = failed.flatMap((e) => (isUserError(e) ? e.problems : []));
    if (problems.length < failed.length) throw failed.find((e) => !isUserError(e));
    throw new UserError(problems);
  }
  return settled.map((s, i) => {
    const { engine, info } = (s as PromiseFulfilledResult<{ engine: Engine; info: EngineInfo }>)
      .value;
    return [nodes[i]!, engine, info];
  });
}

/**
 * The runner's own engine (DOCKER_HOST or the local socket), where images are carried from:
 * a node of the run that it serves, else one opened on first use.
 */
function runnerEngine(
  suite: Suite,
  engines: ReadonlyMap<string, Engine>,
  factory: EngineFactory = dockerEngineFor,
): { carrier: ImageCarrier; opened: () => Engine[] } {
  const isRunner = (node: string) => engineUrl(suite.nodes[node] ?? {}) === engineUrl({});
  let own: Engine | undefined;
  const engine = () =>
    [...engines].find(([node]) => isRunner(node))?.[1] ??
    (own ??= factory({ name: 'runner', labels: [] }));
  return { carrier: new ImageCarrier(engine, isRunner), opened: () => (own ? [own] : []) };
}

/**
 * Checks run once every topology is up. When bring-up failed or was cancelled, live checks
 * are skipped with that reason (never passed); static ones (compose models only) still run.
 */
async function checkPhase(
  suite: Suite,
  runtime: Runtime | undefined,
  notRun: string,
  signal: AbortSignal,
  opts: RunOptions,
  runStart: number,
): Promise<CheckResult[]> {
  if (suite.checks.length === 0) return [];
  const runnable = runtime ? suite.checks : suite.checks.filter((c) => c.phase === 'static');
  const clock = opts.clock ?? realClock;
  const ran = await runChecks(runnable, {
    suite,
    runtime,
    clock,
    signal,
    concurrency: opts.concurrency,
    progress: opts.progress,
    runStart,
  });
  return suite.checks.map(
    (c): CheckResult =>
      ran[runnable.indexOf(c)] ?? {
        name: c.name,
        kind: c.kind,
        status: 'skipped',
        durationMs: 0,
        message: `not run: ${notRun}`,
        source: c.pos,
        targets: c.targets,
        ...(c.links?.length && { links: c.links }),
        attempts: 0,
        flaky: false,
        evidence: {},
      },
  );
}

/** Scenarios run after the checks, one at a time; skipped with the reason when nothing runs. */
async function scenarioPhase(
  suite: Suite,
  runtime: Runtime | undefined,
  notRun: string,
  signal: AbortSignal,
  opts: RunOptions,
  runStart: number,
): Promise<ScenarioResult[]> {
  if (!runtime || signal.aborted) {
    return suite.scenarios.map((sc) => ({
      name: sc.name,
      status: 'skipped',
      durationMs: 0,
      source: sc.pos,
      message: `not run: ${notRun}`,
      steps: [],
      faults: [],
    }));
  }
  const clock = opts.clock ?? realClock;
  return runScenarios(suite.scenarios, {
    suite,
    runtime,
    clock,
    signal,
    progress: opts.progress,
    runStart,
  });
}

/**
 * The last log lines of every service a failed or errored check targets, read before
 * teardown so reports can show what the service said when the check failed. Never throws.
 */
async function failureLogs(
  checks: CheckResult[],
  engines: Map<string, Engine>,
  suite: Suite,
  runId: string,
  lines: number,
): Promise<Record<string, string[]> | undefined> {
  const targets = [
    ...new Set(
      checks.filter((c) => c.status === 'failed' || c.status === 'error').flatMap((c) => c.targets),
    ),
  ];
  if (!lines || !targets.length) return undefined;
  const out: Record<string, string[]> = {};
  await Promise.all(
    targets.map(async (target) => {
      const [topology, service] = target.split('/') as [string, string];
      const spec = suite.topologies.find((t) => t.name === topology);
      const engine = spec && engines.get(spec.node);
      if (!engine) return;
      try {
        const signal = timeoutSignal(QUICK_CALL_MS);
        // The logs of every replica are read at once, each read listening on it.
        setMaxListeners(0, signal);
        const containers = await engine.listContainers(serviceFilter(spec, service, runId), signal);
        const texts = await Promise.all(
          containers.map(async (c) => {
            const text = (await engine.containerLogs(c.id, lines, signal)).trimEnd();
            const prefix = containers.length > 1 ? `${c.name} | ` : '';
            return text ? text.split('\n').map((l) => prefix + l) : [];
          }),
        );
        out[target] = texts.flat();
      } catch (e) {
        out[target] = [`(could not read the logs: ${errorMessage(e)})`];
      }
    }),
  );
  return Object.keys(out).length ? out : undefined;
}

/** Never rejects: a sweep that fails is housekeeping left for the next run, not this run's failure. */
async function sweepStale(engine: Engine, progress: Progress): Promise<void> {
  try {
    for (const { run, report } of await sweep(engine, { stale: true })) {
      progress.emit({
        kind: 'note',
        level: 'warn',
        text: `removed what stale run ${run.runId} (suite ${run.suite}) left on node ${engine.node}: ${describe(report)}`,
      });
    }
  } catch (e) {
    progress.emit({
      kind: 'note',
      level: 'warn',
      text: `could not look for stale runs on node ${engine.node}: ${engineMessage(e)}`,
    });
  }
}

async function bringUp(
  plan: ReturnType<typeof makePlan>,
  engines: Map<string, Engine>,
  identity: RunIdentity,
  signal: AbortSignal,
  progress: Progress,
  runStart: number,
  swept: ReadonlyMap<string, Promise<void>>,
  retrying: Pick<UpContext, 'clock' | 'pullRetry' | 'carrier' | 'imageCache' | 'keeping'>,
): Promise<{ list: TopologyOutcome[]; inFlight: InFlight }> {
  const inFlight = new InFlight();
  const watchers = new Map(
    [...engines].map(([node, engine]) => [
      node,
      new ContainerWatcher(engine, { [LABEL.run]: identity.runId }),
    ]),
  );
  const images = new Map<string, Map<string, Promise<void>>>();
  const board = new ServiceBoard(new Set(plan.topologies.map((tp) => tp.spec.name)));
  try {
    const list = await Promise.all(
      plan.topologies.map((tp) => {
        const node = tp.spec.node;
        if (!images.has(node)) images.set(node, new Map());
        const ctx: UpContext = {
          engine: engines.get(node)!,
          watcher: watchers.get(node)!,
          identity,
          signal,
          progress,
          inFlight,
          runStart,
          images: images.get(node)!,
          beforeStart: swept.get(node)!,
          board,
          ...retrying,
        };
        const up = tp.spec.attach ? attachTopology(tp, ctx) : upTopology(tp, ctx);
        return up.then((o) => {
          progress.emit({
            kind: 'topology',
            topology: o.name,
            node: o.node,
            status: o.status,
            atMs: Math.round(performance.now() - runStart),
            services: o.services.map((s) => ({ name: s.name, status: s.status })),
          });
          board.close(
            o.name,
            o.failure
              ? `was not brought up: ${o.failure.message}`
              : `was not brought up (${o.status})`,
          );
          return o;
        });
      }),
    );
    return { list, inFlight };
  } finally {
    for (const w of watchers.values()) w.close();
  }
}

async function tearDown(
  suite: Suite,
  engines: Map<string, Engine>,
  runId: string,
  plan: ReturnType<typeof makePlan>,
  progress: Progress,
  inFlight: InFlight,
  lost: { watched: ReadonlyMap<string, EngineAvailability>; runStart: number },
): Promise<RunResults['teardown']> {
  await inFlight.settle(SETTLE_MS);
  // Nodes that name the same engine are torn down once, with all their topologies.
  const byEngine = new Map<string, { engine: Engine; nodes: Set<string> }>();
  for (const [node, engine] of engines) {
    const url = engineUrl(suite.nodes[node] ?? {});
    const e = byEngine.get(url) ?? { engine, nodes: new Set<string>() };
    byEngine.set(url, e.nodes.add(node) && e);
  }
  const order = new StopOrder();
  const reports = await Promise.all(
    [...byEngine.entries()].map(([url, { engine, nodes }]) => {
      const node = [...nodes][0]!;
      const teardown = () =>
        teardownRun(engine, runId, {
          plan: { ...plan, topologies: plan.topologies.filter((t) => nodes.has(t.spec.node)) },
          progress,
          order,
        });
      const watch = lost.watched.get(node);
      return watch ? afterEngineReturns(watch, url, lost.runStart, progress, teardown) : teardown();
    }),
  );
  const total = reports.reduce(
    (a, r) => ({
      containers: a.containers + r.containers,
      networks: a.networks + r.networks,
      volumes: a.volumes + r.volumes,
      errors: [...a.errors, ...r.errors],
    }),
    { containers: 0, networks: 0, volumes: 0, errors: [] as string[] },
  );
  progress.emit({ kind: 'note', level: 'info', text: `removed ${describe(total)}` });
  const restored = reports.flatMap((r) => r.restored ?? []);
  if (restored.length)
    progress.emit({
      kind: 'note',
      level: 'info',
      text: `attached stacks left as found: ${restored.join('; ')}`,
    });
  return { kept: false, ...total, ...(restored.length ? { restored } : {}) };
}

/**
 * Tears down on an engine that may have stopped answering during the run (dockerd restarted,
 * upgraded): the cause is named (which engine, since when), the engine is waited for, bounded,
 * with a line saying so, and a teardown it cut short is done again once it is back.
 */
async function afterEngineReturns(
  watch: EngineAvailability,
  url: string,
  runStart: number,
  progress: Progress,
  teardown: () => Promise<TeardownReport>,
): Promise<TeardownReport> {
  const waitBack = async (): Promise<boolean> => {
    const loss = watch.lost();
    if (!loss) return true;
    const at = ((loss.atMs - runStart) / 1000).toFixed(1);
    progress.emit({
      kind: 'note',
      level: 'warn',
      text: `the engine of node "${loss.node}" (${url}) stopped answering ${at} s into the run (${loss.message}); waiting up to ${ENGINE_RETURN_MS / 1000} s for it to come back before tearing down`,
    });
    const waitStart = performance.now();
    const back = await watch.waitBack(ENGINE_RETURN_MS);
    const waited = ((performance.now() - waitStart) / 1000).toFixed(1);
    progress.emit(
      back
        ? {
            kind: 'note',
            level: 'info',
            text: `the engine of node "${loss.node}" answers again after ${waited} s: tearing down`,
          }
        : {
            kind: 'note',
            level: 'warn',
            text: `the engine of node "${loss.node}" (${url}) did not come back within ${waited} s: what this run created there is left; run \`stackcheck down\` once it answers`,
          },
    );
    return back;
  };
  // Each round waits for the engine, then tears down; a round the engine cut short (it went
  // away again meanwhile) is followed by another once it is back, at most three in all.
  let total: TeardownReport = { containers: 0, networks: 0, volumes: 0, errors: [] };
  for (let round = 1; ; round++) {
    const back = await waitBack();
    const started = performance.now();
    const r = await teardown();
    total = {
      ...r,
      containers: total.containers + r.containers,
      networks: total.networks + r.networks,
      volumes: total.volumes + r.volumes,
    };
    if (!back || !r.errors.length || !watch.lost(started) || round === 3) return total;
  }
}

function describe(r: TeardownReport): string {
  return `${r.containers} containers, ${r.networks} networks, ${r.volumes} volumes`;
}

function results(
  suite: Suite,
  identity: RunIdentity,
  outcomes: TopologyOutcome[],
  checks: CheckResult[],
  scenarios: ScenarioResult[],
  teardown: RunResults['teardown'],
  signal: AbortSignal,
  runStart: number,
  startedAt: string,
): RunResults {
  const topologies: TopologyResult[] = outcomes.map((o, i) => {
    const spec = suite.topologies[i]!;
    const services = o.services.map((s) => {
      const svc = spec.project.services[s.name];
      return {
        name: s.name,
        status: s.status,
        health: s.health,
        startingMs: s.startingMs,
        startedMs: s.startedMs,
        healthyMs: s.healthyMs,
        ...(s.healthSource && { healthSource: s.healthSource }),
        ...(s.withoutGpu && { withoutGpu: s.withoutGpu }),
        replicas: svc?.replicas ?? 1,
        ...(svc && {
          source: svc.pos,
          dependsOn: [
            ...Object.entries(svc.dependsOn).map(([service, d]) => ({
              service,
              condition: d.condition,
            })),
            ...(spec.dependsOn ?? [])
              .filter((d) => d.service === s.name)
              .map((d) => ({
                service: `${d.on.topology}/${d.on.service}`,
                condition: d.condition,
              })),
          ],
          networks: serviceNetworks(svc),
        }),
      };
    });
    return {
      name: o.name,
      node: o.node,
      status: o.status === 'up' ? 'passed' : o.status,
      source: spec.pos,
      services,
      networks: [...new Set(services.flatMap((s) => s.networks ?? []))],
      ...attachedOf(o),
      failure: o.failure && {
        service: o.failure.service,
        message: o.failure.message,
        details: o.failure.details,
        source: o.failure.pos,
      },
    };
  });
  const interrupted = signal.aborted ? signalName(signal.reason) : undefined;
  const checksOk = [...checks, ...scenarios].every(
    (c) => c.status === 'passed' || c.status === 'skipped',
  );
  const status =
    interrupted || topologies.some((t) => t.status === 'error')
      ? 'error'
      : topologies.every((t) => t.status === 'passed') && checksOk
        ? 'passed'
        : 'failed';
  return {
    suite: suite.name,
    runId: identity.runId,
    status,
    durationMs: Math.round(performance.now() - runStart),
    startedAt,
    ...(interrupted && { interrupted }),
    topologies,
    checks,
    scenarios,
    teardown,
  };
}

/** The compose networks a service joins: its own list, else the project's `default`. */
function serviceNetworks(svc: ServiceSpec): string[] {
  if (svc.networkMode) return [];
  const names = Object.keys(svc.networks);
  return names.length ? names : ['default'];
}

/** An abort's reason: the signal's name, or `timeout` for an timeoutSignal() limit. */
function signalName(reason: unknown): NonNullable<RunResults['interrupted']> {
  if ((reason as Error)?.name === 'TimeoutError' || reason === 'timeout') return 'timeout';
  if (reason === 'SIGPIPE') return 'SIGPIPE';
  return reason === 'SIGTERM' || (reason as Error)?.message === 'SIGTERM' ? 'SIGTERM' : 'SIGINT';
}
