import { performance } from 'node:perf_hooks';
import { setMaxListeners } from 'node:events';
import type { Replica } from '../model/refs.js';
import { errorMessage } from '../common/errors.js';
import type { Engine, LabelFilter, ResourceRef } from '../engine/engine.js';
import type { AttachTarget, Suite, TopologySpec } from '../model/suite.js';
import { deadline, isAbort, QUICK_CALL_MS } from '../common/deadline.js';
import { diagnose } from './diagnose.js';
import { runLabels } from './identity.js';
import { LABEL } from '../common/labels.js';
import type { ServicePlan, TopologyPlan } from './plan.js';
import { recordAttached } from './restore.js';
import {
  ServiceFailure,
  waitReady,
  type ServiceOutcome,
  type TopologyOutcome,
  type UpContext,
} from './up.js';
import type { Readiness } from './board.js';
import { ContainerWatcher } from './watcher.js';
import { withTimeout } from '../common/timeout.js';

/*
 * Attach: instead of bringing a topology up, find the containers its compose project already
 * runs, map them to the compose files' services, and wait for them by bring-up's rules. Nothing
 * here creates, stops or removes a container, network or volume of the project.
 */

/** The labels compose (v1 and v2 alike) writes on every container it creates. */
export const COMPOSE_LABEL = {
  project: 'com.docker.compose.project',
  service: 'com.docker.compose.service',
  number: 'com.docker.compose.container-number',
  /** `True` on `docker compose run` containers: one-off commands, not the service's replicas. */
  oneoff: 'com.docker.compose.oneoff',
} as const;

/** found: ready by bring-up's rules; unhealthy: there, but not ready by the deadline; extra: not in the compose files. */
export type AttachState = 'found' | 'missing' | 'unhealthy' | 'extra';

export interface AttachedService {
  name: string;
  state: AttachState;
  /** Container names. */
  containers: string[];
  message?: string;
}

export interface AttachOutcome extends TopologyOutcome {
  attached: { project: string; services: AttachedService[] };
}

/** A container of the project, with the service it belongs to and its replica number. */
interface Found {
  service: string;
  id: string;
  name: string;
  index: number;
}

/**
 * The project's containers on its node: those the manifest names, the rest by compose's
 * labels; containers of services the compose files do not define are `extra`.
 */
async function discover(
  engine: Engine,
  spec: TopologySpec,
  signal?: AbortSignal,
): Promise<{ byService: Map<string, Found[]>; extra: Found[] }> {
  const target = spec.attach!;
  const labelled = await engine.listContainers({ [COMPOSE_LABEL.project]: target.project }, signal);
  const byService = new Map<string, Found[]>(
    Object.keys(spec.project.services).map((s) => [s, []]),
  );
  const extra: Found[] = [];
  for (const c of labelled) {
    const service = c.labels[COMPOSE_LABEL.service];
    if (!service || c.labels[COMPOSE_LABEL.oneoff] === 'True') continue;
    if (target.containers[service]) continue; // named in the manifest: found by name below
    const found = { service, id: c.id, name: c.name, index: replicaNumber(c) };
    (byService.get(service) ?? extra).push(found);
  }
  await Promise.all(
    Object.entries(target.containers).map(async ([service, names]) => {
      const list = byService.get(service)!;
      await Promise.all(
        names.map(async (name, i) => {
          const s = await engine.inspectContainer(name, signal).catch((e: unknown) => {
            if (isAbort(e)) throw e;
            return undefined; // not there: the service is missing
          });
          if (s) list.push({ service, id: s.id, name: s.name, index: i + 1 });
        }),
      );
    }),
  );
  for (const list of byService.values()) list.sort((a, b) => a.index - b.index);
  return { byService, extra };
}

function replicaNumber(c: ResourceRef): number {
  const n = Number(c.labels[COMPOSE_LABEL.number]);
  return Number.isInteger(n) && n > 0 ? n : 1;
}

/** The attached topology's containers as check replicas (Runtime.discover). */
export async function attachedReplicas(
  engine: Engine,
  spec: TopologySpec,
  signal?: AbortSignal,
): Promise<Replica[]> {
  const { byService } = await discover(engine, spec, signal);
  return [...byService.values()].flat().map((f) => ({
    topology: spec.name,
    service: f.service,
    node: spec.node,
    containerId: f.id,
    containerName: f.name,
    index: f.index,
  }));
}

/**
 * The labels that select a service's containers in engine events and listings: the run's own
 * labels for a topology stackcheck created, compose's for an attached one.
 */
export function serviceFilter(spec: TopologySpec, service: string, runId: string): LabelFilter {
  return spec.attach
    ? { [COMPOSE_LABEL.project]: spec.attach.project, [COMPOSE_LABEL.service]: service }
    : { [LABEL.run]: runId, [LABEL.topology]: spec.name, [LABEL.service]: service };
}

/**
 * The container events a node's change feed (OOM kills, restarts a policy made) listens to:
 * the run's own containers, and every container where an attached project runs on the node —
 * the engine ANDs label filters, so "this run's or that project's" is not one filter.
 */
export function runEventFilter(suite: Suite, node: string, runId: string): LabelFilter {
  return suite.topologies.some((t) => t.node === node && t.attach) ? {} : { [LABEL.run]: runId };
}

/** The `attached` part of a topology's result: what attach found; nothing for a created topology. */
export function attachedOf(o: TopologyOutcome): { attached?: AttachOutcome['attached'] } {
  return 'attached' in o ? { attached: (o as AttachOutcome).attached } : {};
}

/**
 * Attaches to a deployed topology in place of bringing it up: finds its containers, records
 * which run (so that whatever an allowed scenario stops or pauses is started again, even after
 * this process dies), then waits for every service by bring-up's rules and deadline. Every
 * service is reported, none cancelled because another is missing.
 */
export async function attachTopology(tp: TopologyPlan, ctx: UpContext): Promise<AttachOutcome> {
  const spec = tp.spec;
  const target = spec.attach!;
  const ended = (status: 'failed' | 'cancelled', failure?: ServiceFailure): AttachOutcome => ({
    name: spec.name,
    node: spec.node,
    status,
    services: [],
    attached: { project: target.project, services: [] },
    ...(failure && { failure }),
  });
  // Subscribed before anything is read, so no change in between goes unseen.
  const watcher = new ContainerWatcher(ctx.engine, { [COMPOSE_LABEL.project]: target.project });
  try {
    const found = await discover(ctx.engine, spec, deadline(ctx.signal, QUICK_CALL_MS));
    if (target.allow.length) {
      const running = await runningIds([...found.byService.values()].flat(), ctx);
      await recordAttached(ctx.engine, runLabels(ctx.identity), spec.name, running, ctx.signal);
    }
    const waitDeadline = withTimeout(ctx.signal, spec.waitTimeoutMs);
    setMaxListeners(0, waitDeadline);
    const results = await Promise.all(
      tp.services.map((sp) => {
        const p = attachService(
          sp,
          found.byService.get(sp.spec.name) ?? [],
          spec,
          { ...ctx, watcher },
          waitDeadline,
        );
        // Services of other topologies may wait for this one: it counts once it is found ready.
        const ready = p.then(({ outcome, attached }) => {
          if (attached.state === 'found') return outcome.status as Readiness;
          throw new Error(`failed: ${attached.message}`);
        });
        ctx.board.publish(
          `${spec.name}/${sp.spec.name}`,
          ready.then(() => undefined),
          ready,
        );
        return p;
      }),
    );
    const services = [...results.map((r) => r.attached), ...extras(found.extra, target.project)];
    ctx.progress.emit({
      kind: 'note',
      level: services.some((s) => s.state !== 'found') ? 'warn' : 'info',
      text: summary(spec, services),
    });
    const outcome: AttachOutcome = {
      name: spec.name,
      node: spec.node,
      status: 'up',
      services: results.map((r) => r.outcome),
      attached: { project: target.project, services },
    };
    const bad = services.filter((s) => s.state === 'missing' || s.state === 'unhealthy');
    if (!bad.length) return outcome;
    const details = [
      ...bad.slice(1).map((s) => `${s.name}: ${s.message}`),
      ...(await diagnose(
        ctx.engine,
        bad.flatMap((s) => found.byService.get(s.name) ?? []).map((f) => f.id),
      )),
    ];
    const first = bad[0]!;
    const pos = spec.project.services[first.name]?.pos;
    const failure = new ServiceFailure(first.name, first.message!, 'failure', details, pos);
    return { ...outcome, status: 'failed', failure };
  } catch (e) {
    if (ctx.signal.aborted) return ended('cancelled');
    const message = `attaching to compose project "${target.project}" on node "${spec.node}" failed: ${errorMessage(e)}`;
    return ended('failed', new ServiceFailure('', message, 'failure'));
  } finally {
    watcher.close();
  }
}

/** One service: missing without a container, else found or unhealthy by bring-up's readiness rules. */
async function attachService(
  sp: ServicePlan,
  list: Found[],
  spec: TopologySpec,
  ctx: UpContext,
  waitDeadline: AbortSignal,
): Promise<{ outcome: ServiceOutcome; attached: AttachedService }> {
  const name = sp.spec.name;
  const containers = list.map((f) => f.name);
  const outcome: ServiceOutcome = {
    name,
    status: 'failed',
    health: 'unknown',
    containers: list.map((f) => f.id),
  };
  const emit = (phase: 'healthy' | 'running' | 'completed' | 'failed', detail: string) =>
    ctx.progress.emit({
      kind: 'service',
      topology: sp.topology,
      service: name,
      phase,
      atMs: Math.round(performance.now() - ctx.runStart),
      detail,
    });
  if (!list.length) {
    const message = missingMessage(spec.attach!, name, spec.node);
    emit('failed', message);
    return { outcome, attached: { name, state: 'missing', containers, message } };
  }
  try {
    const readiness = await waitReady(sp, outcome, ctx, waitDeadline, spec);
    outcome.status = readiness;
    outcome.healthyMs = Math.round(performance.now() - ctx.runStart);
    emit(readiness, `attached: ${containers.join(', ')}`);
    return { outcome, attached: { name, state: 'found', containers } };
  } catch (e) {
    if (!(e instanceof ServiceFailure)) throw e;
    emit('failed', e.message);
    return { outcome, attached: { name, state: 'unhealthy', containers, message: e.message } };
  }
}

/** Services the project runs that the compose files do not define. */
function extras(extra: Found[], project: string): AttachedService[] {
  return [...new Set(extra.map((f) => f.service))].map((service) => ({
    name: service,
    state: 'extra',
    containers: extra.filter((f) => f.service === service).map((f) => f.name),
    message: `compose project "${project}" runs service "${service}", which the compose files do not define`,
  }));
}

/** The found containers that are running now: those an allowed scenario must leave running. */
async function runningIds(list: Found[], ctx: UpContext): Promise<string[]> {
  const states = await Promise.all(
    list.map((f) => ctx.engine.inspectContainer(f.id, deadline(ctx.signal, QUICK_CALL_MS))),
  );
  return states.filter((s) => s.status === 'running').map((s) => s.id);
}

function missingMessage(target: AttachTarget, service: string, node: string): string {
  const names = target.containers[service];
  return names
    ? `service "${service}" is missing: no container named ${names.join(', ')} on node "${node}"`
    : `service "${service}" is missing: no container of compose project "${target.project}" on node "${node}" has ${COMPOSE_LABEL.service}=${service}`;
}

/** One line per topology: what attach found, for the log. */
function summary(spec: TopologySpec, services: AttachedService[]): string {
  const by = (state: AttachState) => services.filter((s) => s.state === state).map((s) => s.name);
  const parts = (['found', 'unhealthy', 'missing', 'extra'] as const)
    .filter((st) => by(st).length)
    .map((st) => `${st} ${by(st).join(', ')}`);
  return `topology ${spec.name}: attached to compose project "${spec.attach!.project}" on node ${spec.node}: ${parts.join('; ') || 'no services'}`;
}
