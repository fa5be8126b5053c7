import type { HealthcheckSpec } from '../compose/model.js';
import type { ChangeFeed } from '../engine/engine.js';
import type { Clock } from '../common/clock.js';
import { engineMessage } from '../engine/engine.js';
import type { Engine } from '../engine/engine.js';
import type { Replica } from '../model/refs.js';
import type { ServicePlan } from './plan.js';
import { stopWithGrace } from './stop.js';
import { waitBack, type Back } from './wait-back.js';
import { retry, RetryError, type AttemptFailure, type RetryPolicy } from '../common/retry.js';

/** A service of a topology, as a restart sees it. */
export interface RestartService {
  name: string;
  /** 0: depends on nothing in the topology; else 1 + the highest tier among its dependencies (plan.ts). */
  tier: number;
  /** Some dependent waits for it to exit 0 (a migration job): back means completed, not running. */
  mustComplete?: boolean;
  /** Its stop_grace_period; undefined: the engine default (10 s), which is also what a container created without one has. */
  stopGraceMs?: number;
  /** Its healthcheck, which stackcheck runs too while it waits for the container to be back. */
  healthcheck?: HealthcheckSpec;
  containers: RestartContainer[];
}

/** A service of the plan, with its running replicas, as a restart sees it. */
export function restartService(sp: ServicePlan, replicas: readonly Replica[]): RestartService {
  return {
    name: sp.spec.name,
    tier: sp.tier,
    mustComplete: sp.mustComplete,
    stopGraceMs: sp.spec.stopGracePeriodMs,
    healthcheck: sp.spec.healthcheck,
    containers: replicas.map((x) => ({ id: x.containerId, name: x.containerName })),
  };
}

export interface RestartContainer {
  id: string;
  name: string;
}

/** What a restart does, decided before any engine call: pure, so the rules are tested alone. */
export interface RestartOrder {
  /** Tiers to stop, one after another: dependents before what they depend on. */
  stop: RestartTier[];
  /** Tiers to start, one after another: databases before the apps that need them. */
  start: RestartTier[];
  /** Containers left alone: the user stopped them on purpose. */
  skipped: { service: string; container: string; reason: string }[];
}

export interface RestartTier {
  tier: number;
  services: RestartService[];
}

export const USER_STOPPED = 'stopped by the user (a `stop` step): left stopped until a `start`';

/**
 * The order of a topology restart. Services stop in reverse dependency order and start in
 * dependency order, tier by tier; a container the user stopped on purpose is neither stopped
 * nor started, and a service whose every container is so is left out of its tier.
 */
export function restartOrder(
  services: readonly RestartService[],
  userStopped: ReadonlySet<string>,
): RestartOrder {
  const skipped: RestartOrder['skipped'] = [];
  const byTier = new Map<number, RestartService[]>();
  for (const s of services) {
    const containers = s.containers.filter((c) => {
      if (!userStopped.has(c.id)) return true;
      skipped.push({ service: s.name, container: c.name, reason: USER_STOPPED });
      return false;
    });
    if (!containers.length) continue;
    byTier.set(s.tier, [...(byTier.get(s.tier) ?? []), { ...s, containers }]);
  }
  const start = [...byTier.entries()]
    .sort(([a], [b]) => a - b)
    .map(([tier, list]) => ({ tier, services: list }));
  return { stop: [...start].reverse(), start, skipped };
}

export interface RestartOptions {
  clock: Clock;
  signal: AbortSignal;
  userStopped: ReadonlySet<string>;
  /** How often a container gets to come back (1 + the waits), and the waits between attempts. */
  attempts: RetryPolicy;
  /** How long one attempt may take to be back, and what counts as back (wait-back.ts). */
  readyTimeoutMs: number;
  stableMs: number;
  pollMs?: number;
  /** The run's feed of container changes: waits re-read state on a change, not on a poll (wait-back.ts). */
  changes?: ChangeFeed;
}

/** Three attempts, one and two seconds apart: a service that cannot come back is reported, not retried forever. */
export const DEFAULT_RESTART_ATTEMPTS: RetryPolicy = { backoffMs: [1_000, 2_000] };

export interface RestartReport {
  /** The services of each tier, in the order the tiers were started. */
  tiers: string[][];
  /** Container names in the order their stops were issued. */
  stopped: string[];
  /** Containers in the order their (last, successful) start was issued, with when they were back. */
  started: {
    service: string;
    container: string;
    tier: number;
    attempts: number;
    back: Back;
    startedMs: number;
    backMs: number;
  }[];
  skipped: RestartOrder['skipped'];
}

/** A container did not come back within its attempts; later tiers were not started. */
export class RestartFailure extends Error {
  constructor(
    readonly service: string,
    readonly container: string,
    readonly failures: AttemptFailure[],
    /** Services of later tiers, left stopped because this one did not come back. */
    readonly notStarted: string[],
    readonly report: RestartReport,
  ) {
    super(
      `${container} (service "${service}") did not come back after ${failures.length} ${failures.length === 1 ? 'attempt' : 'attempts'}: ` +
        failures.map((f) => `attempt ${f.attempt}: ${f.message}`).join('; ') +
        (notStarted.length ? `; not started: ${notStarted.join(', ')}` : ''),
    );
    this.name = 'RestartFailure';
  }
}

/**
 * Restarts a topology on its engine the way an operator would after maintenance: every tier
 * stopped, dependents first; then every tier started, each only once the one before is back
 * (healthy where it has a healthcheck, otherwise running and stable). A container that does
 * not come back is stopped and started again, up to the attempts' bound, and then the restart
 * fails, naming each attempt's failure. Containers the user stopped stay stopped.
 */
export async function restartTopology(
  engine: Engine,
  services: readonly RestartService[],
  opts: RestartOptions,
): Promise<RestartReport> {
  const origin = opts.clock.now();
  const report = await stopTopology(engine, services, opts);
  await startTiers(engine, restartOrder(services, opts.userStopped), opts, report, origin);
  return report;
}

/** The first half of a restart: every tier stopped with its grace period, dependents first. */
export async function stopTopology(
  engine: Engine,
  services: readonly RestartService[],
  opts: Pick<RestartOptions, 'signal' | 'userStopped'>,
): Promise<RestartReport> {
  const order = restartOrder(services, opts.userStopped);
  const report = emptyReport(order);
  for (const tier of order.stop) {
    await Promise.all(
      tier.services.flatMap((s) =>
        s.containers.map((c) => {
          report.stopped.push(c.name);
          return stopWithGrace(engine, c.id, s.stopGraceMs, opts.signal);
        }),
      ),
    );
  }
  return report;
}

/** The second half: every tier started in dependency order, each once the one before is back. */
export async function startTopology(
  engine: Engine,
  services: readonly RestartService[],
  opts: RestartOptions,
): Promise<RestartReport> {
  const order = restartOrder(services, opts.userStopped);
  const report = emptyReport(order);
  await startTiers(engine, order, opts, report, opts.clock.now());
  return report;
}

function emptyReport(order: RestartOrder): RestartReport {
  return {
    tiers: order.start.map((t) => t.services.map((s) => s.name)),
    stopped: [],
    started: [],
    skipped: order.skipped,
  };
}

async function startTiers(
  engine: Engine,
  order: RestartOrder,
  opts: RestartOptions,
  report: RestartReport,
  origin: number,
): Promise<void> {
  const { clock, signal } = opts;
  for (const [i, tier] of order.start.entries()) {
    const results = await Promise.allSettled(
      tier.services.flatMap((s) =>
        s.containers.map(async (c) => {
          let startedMs = 0;
          const { back, attempts } = await retry(
            async (attempt) => {
              if (attempt > 1) await stopWithGrace(engine, c.id, s.stopGraceMs, signal);
              startedMs = clock.now() - origin;
              await engine.startContainer(c.id, signal);
              return {
                back: await waitBack(engine, c.id, {
                  ...opts,
                  mustComplete: s.mustComplete,
                  healthcheck: s.healthcheck,
                }),
                attempts: attempt,
              };
            },
            opts.attempts,
            // An engine's refusal reads as the daemon's own words.
            { clock, signal, describe: engineMessage },
          );
          report.started.push({
            service: s.name,
            container: c.name,
            tier: tier.tier,
            attempts,
            back,
            startedMs,
            backMs: clock.now() - origin,
          });
        }),
      ),
    );
    signal.throwIfAborted();
    const failed = results.findIndex((r) => r.status === 'rejected');
    if (failed < 0) continue;
    const reason = (results[failed] as PromiseRejectedResult).reason as unknown;
    const [service, container] = tier.services
      .flatMap((s) => s.containers.map((c) => [s.name, c.name] as const))
      .at(failed)!;
    const failures =
      reason instanceof RetryError
        ? reason.failures
        : [{ attempt: 1, error: reason, message: engineMessage(reason), atMs: clock.now() }];
    const notStarted = order.start.slice(i + 1).flatMap((t) => t.services.map((s) => s.name));
    throw new RestartFailure(service, container, failures, notStarted, report);
  }
}
