import { performance } from 'node:perf_hooks';
import { runChecks } from './checks/runner.js';
import { Runtime } from './checks/runtime.js';
import { realClock, type Clock } from './common/clock.js';
import { connect, type EngineFactory } from './engine/connect.js';
import type { Engine } from './engine/engine.js';
import type { Suite } from './manifest/suite.js';
import { InFlight } from './orchestrator/deadline.js';
import { teardownRun, type TeardownReport } from './orchestrator/down.js';
import { newRunIdentity, runLabels, type RunIdentity } from './orchestrator/identity.js';
import { LABEL } from './orchestrator/labels.js';
import { plan as makePlan } from './orchestrator/plan.js';
import { silentProgress, type Progress } from './orchestrator/progress.js';
import { sweep } from './orchestrator/sweep.js';
import { upTopology, type TopologyOutcome, type UpContext } from './orchestrator/up.js';
import { ContainerWatcher } from './orchestrator/watcher.js';
import type { CheckResult, RunResults, TopologyResult } from './report/results.js';

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
}

const DEFAULT_LIFETIME_MS = 6 * 3_600_000;
const SETTLE_MS = 30_000;

/** The pipeline: engines → sweep stale runs → plan → up → (checks) → down, always down. */
export async function run(suite: Suite, opts: RunOptions = {}): Promise<RunResults> {
  const signal = opts.signal ?? new AbortController().signal;
  const progress = opts.progress ?? silentProgress;
  const runStart = performance.now();
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
  const engines = new Map<string, Engine>();
  try {
    const connected = await Promise.all(
      usedNodes.map((n) => connect(suite.nodes[n]!, opts.engineFactory)),
    );
    connected.forEach(({ engine }, i) => engines.set(usedNodes[i]!, engine));
    await Promise.all([...engines.values()].map((e) => sweepStale(e, progress)));
    progress.emit({
      kind: 'note',
      level: 'info',
      text: `run ${identity.runId}: ${suite.topologies.length} topologies on ${usedNodes.join(', ')}`,
    });

    const outcomes = await bringUp(plan, engines, identity, signal, progress, runStart);
    const checks = await checkPhase(suite, outcomes.list, engines, identity, signal, opts);
    const teardown = opts.keep
      ? ({ kept: true } as const)
      : await tearDown(engines, identity.runId, plan, progress, outcomes.inFlight);
    return results(suite, identity, outcomes.list, checks, teardown, signal, runStart, startedAt);
  } finally {
    await Promise.all([...engines.values()].map((e) => e.close()));
  }
}

/**
 * Checks run once every topology is up. When bring-up failed or was cancelled, live checks
 * are skipped with that reason (never passed); static ones (compose models only) still run.
 */
async function checkPhase(
  suite: Suite,
  outcomes: TopologyOutcome[],
  engines: Map<string, Engine>,
  identity: RunIdentity,
  signal: AbortSignal,
  opts: RunOptions,
): Promise<CheckResult[]> {
  if (suite.checks.length === 0) return [];
  const down = outcomes.filter((o) => o.status !== 'up').map((o) => o.name);
  const runnable = down.length ? suite.checks.filter((c) => c.phase === 'static') : suite.checks;
  const clock = opts.clock ?? realClock;
  const runtime = down.length
    ? undefined
    : await Runtime.discover(suite, engines, runLabels(identity), suite.probeImage, AbortSignal.any([signal, AbortSignal.timeout(30_000)]));
  const ran = await runChecks(runnable, { suite, runtime, clock, signal, concurrency: opts.concurrency, progress: opts.progress });
  const reason = signal.aborted ? 'the run was cancelled' : `topology ${down.join(', ')} did not come up`;
  return suite.checks.map(
    (c): CheckResult =>
      ran[runnable.indexOf(c)] ?? {
        name: c.name,
        kind: c.kind,
        status: 'skipped',
        durationMs: 0,
        message: `not run: ${reason}`,
        source: c.pos,
        targets: c.targets,
        attempts: 0,
        flaky: false,
        evidence: {},
      },
  );
}

async function sweepStale(engine: Engine, progress: Progress): Promise<void> {
  for (const { run, report } of await sweep(engine, { stale: true })) {
    progress.emit({
      kind: 'note',
      level: 'warn',
      text: `removed what stale run ${run.runId} (suite ${run.suite}) left on node ${engine.node}: ${describe(report)}`,
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
): Promise<{ list: TopologyOutcome[]; inFlight: InFlight }> {
  const inFlight = new InFlight();
  const watchers = new Map(
    [...engines].map(([node, engine]) => [
      node,
      new ContainerWatcher(engine, { [LABEL.run]: identity.runId }),
    ]),
  );
  const images = new Map<string, Map<string, Promise<void>>>();
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
        };
        return upTopology(tp, ctx);
      }),
    );
    return { list, inFlight };
  } finally {
    for (const w of watchers.values()) w.close();
  }
}

async function tearDown(
  engines: Map<string, Engine>,
  runId: string,
  plan: ReturnType<typeof makePlan>,
  progress: Progress,
  inFlight: InFlight,
): Promise<RunResults['teardown']> {
  await inFlight.settle(SETTLE_MS);
  const reports = await Promise.all(
    [...engines].map(([node, engine]) =>
      teardownRun(engine, runId, {
        plan: { ...plan, topologies: plan.topologies.filter((t) => t.spec.node === node) },
        progress,
      }),
    ),
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
  return { kept: false, ...total };
}

function describe(r: TeardownReport): string {
  return `${r.containers} containers, ${r.networks} networks, ${r.volumes} volumes`;
}

function results(
  suite: Suite,
  identity: RunIdentity,
  outcomes: TopologyOutcome[],
  checks: CheckResult[],
  teardown: RunResults['teardown'],
  signal: AbortSignal,
  runStart: number,
  startedAt: string,
): RunResults {
  const topologies: TopologyResult[] = outcomes.map((o, i) => {
    const spec = suite.topologies[i]!;
    return {
      name: o.name,
      node: o.node,
      status: o.status === 'up' ? 'passed' : o.status,
      source: spec.pos,
      services: o.services.map((s) => ({
        name: s.name,
        status: s.status,
        health: s.health,
        startedMs: s.startedMs,
        healthyMs: s.healthyMs,
        replicas: spec.project.services[s.name]?.replicas ?? 1,
      })),
      failure: o.failure && {
        service: o.failure.service,
        message: o.failure.message,
        details: o.failure.details,
        source: o.failure.pos,
      },
    };
  });
  const interrupted = signal.aborted ? signalName(signal.reason) : undefined;
  const checksOk = checks.every((c) => c.status === 'passed' || c.status === 'skipped');
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
    teardown,
  };
}

function signalName(reason: unknown): 'SIGINT' | 'SIGTERM' {
  return reason === 'SIGTERM' || (reason as Error)?.message === 'SIGTERM' ? 'SIGTERM' : 'SIGINT';
}
