import { errorMessage } from '../common/errors.js';
import { isEngineError, type Engine, type ResourceRef } from '../engine/engine.js';
import { QUICK_CALL_MS } from '../common/deadline.js';
import { LABEL } from '../common/labels.js';
import type { Plan } from './plan.js';
import type { Progress } from './progress.js';
import { restoreAttached } from './restore.js';
import { stopWithGrace } from './stop.js';
import { timeoutSignal } from '../common/timeout.js';

export interface TeardownReport {
  containers: number;
  networks: number;
  volumes: number;
  /** Resources that could not be removed, with the engine's reason. */
  errors: string[];
  /** What was done to leave attached stacks as they were found (orchestrator/restore.ts). */
  restored?: string[];
}

/**
 * Removes everything one run created on one engine, found by its run label (so resources
 * whose creation was in flight are found too). With the run's plan, services stop in reverse
 * dependency order, each after the services that depend on it, and with its own grace period;
 * without one (a sweep after a crash), all stop in parallel with the grace period the
 * container was created with. Never throws: what it cannot remove is reported.
 */
export async function teardownRun(
  engine: Engine,
  runId: string,
  opts: { plan?: Plan; progress?: Progress; order?: StopOrder } = {},
): Promise<TeardownReport> {
  const report: TeardownReport = { containers: 0, networks: 0, volumes: 0, errors: [] };
  const attempt = async (what: string, fn: () => Promise<void>): Promise<boolean> => {
    try {
      await fn();
      return true;
    } catch (e) {
      report.errors.push(`${what}: ${errorMessage(e)}`);
      return false;
    }
  };
  const filter = { [LABEL.run]: runId };
  const list = async <T>(what: string, fn: () => Promise<T[]>): Promise<T[]> => {
    let out: T[] = [];
    await attempt(`listing ${what}`, async () => void (out = await fn()));
    return out;
  };

  // Attached stacks first: what an allowed scenario stopped or paused runs again. The run's
  // own containers are listed meanwhile: one round trip less before the first stop.
  const [{ restored, errors }, containers] = await Promise.all([
    restoreAttached(engine, runId),
    list('containers', () => engine.listContainers(filter, timeoutSignal(QUICK_CALL_MS))),
  ]);
  report.errors.unshift(...errors);
  if (restored.length) report.restored = restored;
  const byService = new Map<string, ResourceRef[]>();
  for (const c of containers) {
    const key = `${c.labels[LABEL.topology]}/${c.labels[LABEL.service]}`;
    const list = byService.get(key);
    if (list) list.push(c);
    else byService.set(key, [c]);
  }
  const services = new Map(
    (opts.plan?.topologies ?? []).flatMap((t) =>
      t.services.map((s) => [`${t.spec.name}/${s.spec.name}` as string, s] as const),
    ),
  );

  // Each container is removed as soon as it has stopped, while the services it depends on
  // stop: removal is never on the dependency order's critical path.
  const removals: Promise<boolean[]>[] = [];
  // Containers the engine would not remove yet because others still join their namespaces (a
  // probe sidecar, network_mode: service:): Podman refuses those removals (Docker does not), and
  // the joiners are removed meanwhile, so these are removed again once the rest are gone.
  const blocked: { c: ResourceRef; why: string }[] = [];
  const remove = async (c: ResourceRef): Promise<boolean> => {
    try {
      await engine.removeContainer(c.id, timeoutSignal(QUICK_CALL_MS));
      return true;
    } catch (e) {
      if (isEngineError(e, 'conflict')) blocked.push({ c, why: errorMessage(e) });
      else report.errors.push(`removing container ${c.name}: ${errorMessage(e)}`);
      return false;
    }
  };

  const stopped = new Map<string, Promise<void>>();
  const stop = (key: string): Promise<void> => {
    let p = stopped.get(key);
    if (!p) {
      const sp = services.get(key);
      p = (async () => {
        await Promise.all([
          ...(sp?.dependents ?? []).map((d) => stop(`${sp!.topology}/${d}`)),
          // A dependent in another topology: here, or on another engine, whose teardown says when.
          ...(sp?.crossDependents ?? []).map((k) =>
            services.has(k) ? stop(k) : opts.order?.stopped(k),
          ),
        ]);
        const mine = byService.get(key) ?? [];
        if (!mine.length) return;
        await Promise.all(
          mine.map((c) =>
            attempt(`stopping container ${c.name}`, () =>
              stopWithGrace(engine, c.id, sp?.spec.stopGracePeriodMs),
            ),
          ),
        );
        const gone = Promise.all(mine.map(remove));
        removals.push(gone);
        void gone.then(() => {
          const [topology, service] = key.split('/') as [string, string];
          opts.progress?.emit({ kind: 'service', topology, service, phase: 'removed', atMs: 0 });
        });
      })();
      void p.then(() => opts.order?.done(key));
      stopped.set(key, p);
    }
    return p;
  };
  // The plan's services that have no container here are gone already: their dependencies
  // (on other engines too) need not wait for them.
  await Promise.all([...new Set([...byService.keys(), ...services.keys()])].map(stop));
  report.containers = (await Promise.all(removals)).flat().filter(Boolean).length;
  // Again while each round removes some: a chain of joiners takes one round per link.
  while (blocked.length) {
    const round = blocked.splice(0);
    const removed = (await Promise.all(round.map(({ c }) => remove(c)))).filter(Boolean).length;
    report.containers += removed;
    if (!removed) {
      for (const { c, why } of blocked.splice(0))
        report.errors.push(`removing container ${c.name}: ${why}`);
      break;
    }
  }

  // Networks and volumes each wait only for the containers, not for one another.
  const [netDone, volDone] = await Promise.all([
    list('networks', () => engine.listNetworks(filter, timeoutSignal(QUICK_CALL_MS))).then(
      (networks) =>
        Promise.all(
          networks.map((n) =>
            attempt(`removing network ${n.name}`, () =>
              engine.removeNetwork(n.id, timeoutSignal(QUICK_CALL_MS)),
            ),
          ),
        ),
    ),
    list('volumes', () => engine.listVolumes(filter, timeoutSignal(QUICK_CALL_MS))).then(
      (volumes) =>
        Promise.all(
          volumes.map((v) =>
            attempt(`removing volume ${v.name}`, () =>
              engine.removeVolume(v.name, timeoutSignal(QUICK_CALL_MS)),
            ),
          ),
        ),
    ),
  ]);
  report.networks = netDone.filter(Boolean).length;
  report.volumes = volDone.filter(Boolean).length;
  return report;
}

/**
 * Shared by the teardowns of one run's engines, so that a service stops only after the services
 * of other topologies that wait for it have stopped, also where they run on another engine.
 */
export class StopOrder {
  private readonly stops = new Map<string, { promise: Promise<void>; resolve: () => void }>();

  private entry(key: string) {
    let e = this.stops.get(key);
    if (!e) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      e = { promise, resolve };
      this.stops.set(key, e);
    }
    return e;
  }

  /** Resolves once `topology/service` has stopped (or had nothing to stop). */
  stopped(key: string): Promise<void> {
    return this.entry(key).promise;
  }

  done(key: string): void {
    this.entry(key).resolve();
  }
}
