import { randomBytes } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import type { Replica } from '../../model/refs.js';
import { errorMessage } from '../../common/errors.js';
import { engineMessage } from '../../engine/engine.js';
import type { Engine } from '../../engine/engine.js';
import { HelperImageMissing } from '../../orchestrator/carry.js';
import { LABEL } from '../../common/labels.js';
import type { FaultContext } from '../../live/fault-set.js';
import { faultImages } from '../../model/fault-images.js';
import { parseReady, PROXY_SOURCE, type ProxyConfig } from './proxy.js';
import {
  parsePreflight,
  PRELUDE,
  preflightScript,
  selfHealingMain,
  type PreflightNeeds,
} from './scripts.js';
import { timeoutSignal } from '../../common/timeout.js';

/**
 * How a network fault is carried out, whatever it does: a helper container joins each target's
 * network namespace with NET_ADMIN (and the run's labels, so teardown and `stackcheck down`
 * find it); a preflight in each checks the tools work before anything is changed; then the
 * fault is recorded (so it is healed on every exit path) and applied. The helper's own main
 * process heals the fault when its time limit passes or when it is stopped, so a fault whose
 * runner was killed does not outlive it.
 */

/** A fault step that cannot be carried out: its message says why, and nothing was changed. */
export class FaultError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FaultError';
  }
}

let seq = 0;

/** A fresh chain name (SC-<run>-<n>, well inside iptables' 28 characters) and qdisc handle. */
export function nextFaultNames(runId: string): { chain: string; handle: string } {
  seq += 1;
  return {
    chain: `SC-${runId.slice(0, 8)}-${seq}`,
    handle: `${(0x5c00 + (seq % 0xfd) + 1).toString(16)}:`,
  };
}

export interface Helper {
  replica: Replica;
  engine: Engine;
  id: string;
  name: string;
  /** What the preflight found: `iptables=…`, `tc=…`, `qdisc.netem=ok|reason`. */
  facts: Record<string, string>;
  proxyId?: string;
}

export interface Helpers {
  verb: string;
  image: string;
  heal: string;
  /** The run's labels and the fault role: every helper container carries them. */
  labels: Record<string, string>;
  list: Helper[];
}

export function imagesOf(ctx: FaultContext): { tools: string; proxy: string } {
  return ctx.suite.faultImages ?? faultImages(undefined, process.env);
}

/** The helper's own time limit: its `for:` and a margin, else the run's deadline. */
function selfHealAfterS(ctx: FaultContext): number {
  if (ctx.forMs !== undefined) return ctx.forMs / 1000 + 30;
  const deadline = Number(ctx.runtime.labels[LABEL.deadline]);
  if (Number.isFinite(deadline) && deadline > Date.now()) return (deadline - Date.now()) / 1000;
  return 24 * 3600;
}

async function ensureImage(
  ctx: FaultContext,
  node: string,
  image: string,
  verb: string,
  needs: string,
): Promise<void> {
  try {
    await ctx.runtime.helperImage(node, image, ctx.signal);
  } catch (e) {
    if (!(e instanceof HelperImageMissing)) throw e;
    throw new FaultError(
      `cannot ${verb}: the fault ${e.message}; name an image with ${needs} in faults.image or STACKCHECK_FAULT_IMAGE`,
    );
  }
}

/**
 * Starts one helper per target and runs the preflight in each. Throws FaultError (with every
 * helper removed again) when the image, the helper or a tool is missing; changes nothing.
 */
export async function prepare(
  ctx: FaultContext,
  o: { verb: string; kind: string; targets: Replica[]; heal: string; needs: PreflightNeeds },
): Promise<Helpers> {
  const image = imagesOf(ctx).tools;
  for (const node of new Set(o.targets.map((r) => r.node)))
    await ensureImage(ctx, node, image, o.verb, 'sh, iptables and tc');
  const labels = { ...ctx.runtime.labels, [LABEL.role]: 'fault' };
  const set: Helpers = { verb: o.verb, image, heal: o.heal, labels, list: [] };
  const slots: Helper[] = [];
  const started = await Promise.allSettled(
    o.targets.map(async (r, i) => {
      const engine = ctx.runtime.engine(r.node);
      const name = `${r.containerName}-${o.kind}-${randomBytes(2).toString('hex')}`;
      try {
        const id = await engine.runSidecar(
          {
            name,
            image,
            cmd: selfHealingMain(o.heal, selfHealAfterS(ctx)),
            labels,
            networkOf: r.containerId,
            capAdd: ['NET_ADMIN'],
          },
          ctx.signal,
        );
        slots[i] = { replica: r, engine, id, name, facts: {} };
      } catch (e) {
        throw new FaultError(
          `cannot ${o.verb}: no helper could join ${r.containerName}'s network namespace (${engineMessage(e)})`,
        );
      }
    }),
  );
  set.list = slots.filter(Boolean); // in the targets' order, whatever order they started in
  const failed = started.find((s) => s.status === 'rejected');
  if (failed) {
    await removeHelpers(set, timeoutSignal(30_000));
    throw failed.reason;
  }
  try {
    const script = preflightScript(o.needs);
    await Promise.all(
      set.list.map(async (h) => {
        const res = await h.engine.exec(h.id, { cmd: ['sh', '-c', script] }, ctx.signal);
        if (res.exitCode !== 0) {
          throw new FaultError(
            `cannot ${o.verb}: the preflight in ${image} failed with exit code ${res.exitCode} (${res.stderr.trim() || res.stdout.trim() || 'no output'})`,
          );
        }
        h.facts = parsePreflight(res.stdout);
      }),
    );
  } catch (e) {
    await removeHelpers(set, timeoutSignal(30_000));
    throw e;
  }
  return set;
}

const TOOL_NAMES = {
  iptables: 'iptables',
  nat: 'the iptables nat table',
  ip6tables: 'ip6tables',
  tc: 'tc',
} as const;

/** Why a tool the preflight looked for does not work, or undefined when it works in every helper. */
export function missingTool(set: Helpers, tool: keyof typeof TOOL_NAMES): string | undefined {
  const h = set.list.find((x) => !x.facts[tool]);
  if (!h) return undefined;
  const why = h.facts[`${tool}.error`] ?? 'not checked';
  return `${TOOL_NAMES[tool]} is not available in ${set.image} (${why}; in ${h.replica.containerName}'s network namespace, with NET_ADMIN)`;
}

/** Throws FaultError, with the helpers removed, unless every tool works in every helper. */
export async function requireTools(
  set: Helpers,
  tools: (keyof typeof TOOL_NAMES)[],
): Promise<void> {
  for (const t of tools) {
    const why = missingTool(set, t);
    if (why) await discard(set, `cannot ${set.verb}: ${why}`);
  }
}

/** Removes the helpers of a fault that will not be applied, and throws FaultError(message). */
export async function discard(set: Helpers, message: string): Promise<never> {
  await removeHelpers(set, timeoutSignal(30_000));
  throw new FaultError(message);
}

/** The environment apply scripts read: the tools the preflight found. */
export function toolsEnv(h: Helper): Record<string, string> {
  const env: Record<string, string> = {};
  if (h.facts.iptables) env.IPT = h.facts.iptables;
  if (h.facts.ip6tables) env.IP6T = h.facts.ip6tables;
  if (h.facts.tc) env.TC = h.facts.tc;
  return env;
}

/**
 * Records the fault (so every exit path heals it), then applies it in every helper. When one
 * fails, what was applied is healed at once and FaultError says why.
 */
export async function commit(
  ctx: FaultContext,
  set: Helpers,
  fault: { id: string; kind: string; description: string; mechanism: string },
  apply: (h: Helper) => string,
): Promise<void> {
  ctx.faults.add({ ...fault, heal: (signal) => healHelpers(set, signal) }, ctx.forMs);
  try {
    await Promise.all(
      set.list.map(async (h) => {
        const res = await h.engine.exec(
          h.id,
          { cmd: ['sh', '-c', PRELUDE + apply(h)], env: toolsEnv(h) },
          ctx.signal,
        );
        if (res.exitCode !== 0) {
          throw new FaultError(
            `cannot ${set.verb}: applying it in ${h.replica.containerName} failed (${res.stderr.trim().split('\n').slice(-3).join('; ') || `exit code ${res.exitCode}`}); what was applied is healed`,
          );
        }
      }),
    );
  } catch (e) {
    await ctx.faults.heal(fault.id, ctx.signal.aborted ? 'cancellation' : 'its application failed');
    if (e instanceof FaultError || ctx.signal.aborted) throw e;
    throw new FaultError(`cannot ${set.verb}: ${errorMessage(e)}; what was applied is healed`);
  }
}

/**
 * Undoes the fault in each helper's namespace and removes the helpers. Where a helper is gone,
 * a one-off helper heals instead; where the target is gone too, its namespace (and the
 * fault's rules with it) went with it. Harmless when run twice.
 */
export async function healHelpers(set: Helpers, signal: AbortSignal): Promise<void> {
  const errors: string[] = [];
  await Promise.all(
    set.list.map(async (h) => {
      try {
        await healOne(set, h, signal);
      } catch (e) {
        errors.push(`${h.replica.containerName}: ${errorMessage(e)}`);
      }
    }),
  );
  await removeHelpers(set, signal);
  if (errors.length) throw new Error(errors.join('; '));
}

async function healOne(set: Helpers, h: Helper, signal: AbortSignal): Promise<void> {
  const script = PRELUDE + set.heal;
  try {
    const res = await h.engine.exec(h.id, { cmd: ['sh', '-c', script] }, signal);
    if (res.exitCode === 0) return;
  } catch {
    // The helper is gone or stopped: heal from a fresh one below.
  }
  const target = await h.engine
    .inspectContainer(h.replica.containerId, signal)
    .catch(() => undefined);
  if (!target?.running) return;
  const res = await h.engine.runTask(
    {
      name: `${h.name}-heal`,
      image: set.image,
      cmd: ['sh', '-c', script],
      labels: set.labels,
      networkOf: h.replica.containerId,
      capAdd: ['NET_ADMIN'],
    },
    signal,
  );
  if (res.exitCode !== 0) throw new Error(res.stderr.trim() || `heal exited ${res.exitCode}`);
}

async function removeHelpers(set: Helpers, signal: AbortSignal): Promise<void> {
  // Every helper (and its proxy) is removed at once, each call listening on it.
  setMaxListeners(0, signal);
  await Promise.all(
    set.list.flatMap((h) =>
      [h.proxyId, h.id]
        .filter((id): id is string => !!id)
        .map((id) => h.engine.removeContainer(id, signal).catch(() => undefined)),
    ),
  );
}

/**
 * Starts the delay proxy beside each helper, in the same network namespace, and waits for the
 * local ports it listens on. Throws FaultError (helpers removed, nothing changed) when it
 * cannot start.
 */
export async function startProxies(
  ctx: FaultContext,
  set: Helpers,
  config: (h: Helper) => ProxyConfig,
): Promise<Map<Helper, Record<string, number>>> {
  const image = imagesOf(ctx).proxy;
  const out = new Map<Helper, Record<string, number>>();
  try {
    for (const node of new Set(set.list.map((h) => h.replica.node)))
      await ensureImage(ctx, node, image, set.verb, 'node');
    await Promise.all(
      set.list.map(async (h) => {
        try {
          h.proxyId = await h.engine.runSidecar(
            {
              name: `${h.name}-proxy`,
              image,
              cmd: ['node', '-e', PROXY_SOURCE, JSON.stringify(config(h))],
              labels: set.labels,
              networkOf: h.replica.containerId,
            },
            ctx.signal,
          );
        } catch (e) {
          throw new FaultError(
            `cannot ${set.verb}: node is not available in ${image} to run the delay proxy (${engineMessage(e)})`,
          );
        }
        out.set(h, await proxyPorts(h, image, set.verb, ctx.signal));
      }),
    );
  } catch (e) {
    await removeHelpers(set, timeoutSignal(30_000));
    throw e;
  }
  return out;
}

async function proxyPorts(
  h: Helper,
  image: string,
  verb: string,
  signal: AbortSignal,
): Promise<Record<string, number>> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const logs = await h.engine.containerLogs(h.proxyId!, 50, signal);
    const ports = parseReady(logs);
    if (ports) return ports;
    const state = await h.engine.inspectContainer(h.proxyId!, signal);
    if (!state.running || Date.now() > deadline) {
      throw new FaultError(
        `cannot ${verb}: the delay proxy did not start in ${image} (${state.running ? 'no answer in 20s' : `exit code ${state.exitCode}`}: ${logs.trim().split('\n').slice(-3).join('; ') || 'no output'})`,
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
