import type { Replica } from '../../model/refs.js';
import type { Outcome } from '../../model/check.js';
import { Addresses } from './addresses.js';
import {
  commit,
  FaultError,
  missingTool,
  startProxies,
  type Helper,
  type Helpers,
} from './inject.js';
import { PROXY_UID, type ProxyConfig } from './proxy.js';
import { destinationsOf, proxyRules, type Destination } from './rules.js';
import {
  chainApplyScript,
  closeConnectionsScript,
  qdiscApplyScript,
  qdiscVerdict,
  type QdiscPlan,
} from './scripts.js';
import type { StepContext } from '../../live/step.js';
import { targets } from '../../live/targets.js';
import { list, type Group, type Shaped } from './shaping.schema.js';

/*
 * What the network faults share (../partition.ts, ../delay.ts, ../loss.ts, ../bandwidth.ts).
 * Network faults: partition (iptables), delay and loss (netem where the kernel has it; else a
 * user-space proxy for delay and iptables' random drop for loss), bandwidth (tbf, or htb with
 * `to:`). Each runs from helper containers in the affected services' network namespaces; see
 * inject.ts for the life cycle and docs/faults.md for the user's view.
 */

/** Every replica of every service of a group, each once. */
export function replicasOf(ctx: StepContext, g: Group): Replica[] {
  const seen = new Map<string, Replica>();
  for (const ref of list(g)) {
    const rs = ctx.runtime.replicas(ref);
    if (rs.length === 0) throw new FaultError(`${ref} has no container in this run`);
    for (const r of rs) seen.set(r.containerId, r);
  }
  return [...seen.values()];
}

/** Every replica the run has on a node. */
export function onNode(ctx: StepContext, node: string): Replica[] {
  const rs = ctx.runtime.replicasAll.filter((r) => r.node === node);
  if (rs.length === 0) throw new FaultError(`node ${node} has no container in this run`);
  return rs;
}

export const names = (rs: Replica[]) => [...new Set(rs.map((r) => `${r.topology}/${r.service}`))];

/** Runs a fault step; a FaultError (the fault could not be applied, nothing changed) is its `error`. */
export async function guarded(fn: () => Promise<Outcome>): Promise<Outcome> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof FaultError) return { status: 'error', message: e.message, evidence: {} };
    throw e;
  }
}

/** The client containers, and for each, the peers its shaped traffic goes to. */
export async function shapingPlan(v: Shaped, ctx: StepContext, addrs: Addresses) {
  const clients = targets({ service: v.service, replica: v.replica }, ctx);
  const own = new Set(ctx.runtime.replicas(v.service).map((r) => r.containerId));
  const peers = v.to
    ? replicasOf(ctx, v.to)
    : ctx.runtime.replicasAll.filter((r) => !own.has(r.containerId));
  const ports = v.port === undefined ? undefined : typeof v.port === 'number' ? [v.port] : v.port;
  const plans = await Promise.all(
    clients.map(async (r) => {
      const pa = await Promise.all(peers.map((p) => addrs.peer(r, p)));
      const restrict = (d: Destination[]) =>
        ports
          ? d.flatMap((x) =>
              x.port
                ? ports.includes(x.port)
                  ? [x]
                  : []
                : ports.map((port) => ({ ip: x.ip, port })),
            )
          : d;
      return {
        r,
        peers: pa,
        /** For netem, tbf and iptables: any port on the same engine unless `port` says. */
        dst: v.to ? restrict(destinationsOf(pa)) : undefined,
        /** For the proxy: TCP ports, always named. */
        tcp: restrict(destinationsOf(pa, true)).filter((d) => !d.ip.includes(':')),
      };
    }),
  );
  return { clients, peers, plans };
}

export type Plan = Awaited<ReturnType<typeof shapingPlan>>['plans'][number];

export function towards(v: Shaped, ctx: StepContext): string {
  const src = names(ctx.runtime.replicas(v.service)).join(', ');
  return v.to ? `${src} → ${list(v.to).join(', ')}` : src;
}

/** The root qdisc of the client's interfaces (with `to:`, an htb class for those peers). */
export async function commitQdisc(
  ctx: StepContext,
  set: Helpers,
  plans: Plan[],
  handle: string,
  fault: { id: string; kind: string; description: string; mechanism: string },
  leaf: QdiscPlan['leaf'],
) {
  const byId = new Map(plans.map((x) => [x.r.containerId, x]));
  await commit(ctx, set, fault, (h: Helper) =>
    qdiscApplyScript({ handle, leaf, dst: byId.get(h.replica.containerId)!.dst }),
  );
}

export function netemVerdict(set: Helpers, skip: boolean): { use: boolean; why?: string } {
  if (skip) return { use: false };
  for (const h of set.list) {
    const answer = h.facts['qdisc.netem'];
    const v = qdiscVerdict(answer);
    if (v === 'missing') return { use: false, why: answer };
    if (v === 'error') {
      const tc = missingTool(set, 'tc');
      return { use: false, why: tc ?? answer ?? 'not checked' };
    }
  }
  return { use: true };
}

/**
 * The proxy mechanism: a proxy beside each client that shapes its connections to the plan's TCP
 * targets (delay, jitter, resets), and the client's connections redirected through it. Returns
 * the routes, for the evidence.
 */
export async function proxyThrough(
  ctx: StepContext,
  set: Helpers,
  plans: Plan[],
  chain: string,
  fault: { id: string; kind: string; description: string },
  shaping: Pick<ProxyConfig, 'delayMs' | 'jitterMs' | 'resetPercent'>,
) {
  const byId = new Map(plans.map((x) => [x.r.containerId, x]));
  const ports = await startProxies(ctx, set, (h) => ({
    routes: byId.get(h.replica.containerId)!.tcp.map((t) => ({ host: t.ip, port: t.port! })),
    ...shaping,
    uid: PROXY_UID,
  }));
  await commit(ctx, set, { ...fault, mechanism: 'proxy' }, (h) => {
    const local = ports.get(h)!;
    const routes = byId
      .get(h.replica.containerId)!
      .tcp.map((t) => ({ ip: t.ip, port: t.port!, local: local[`${t.ip}:${t.port}`]! }));
    return (
      closeConnectionsScript(routes) +
      chainApplyScript(chain, proxyRules(routes, PROXY_UID), {
        nat: ['OUTPUT'],
        filter: ['OUTPUT'],
      })
    );
  });
  return proxyEvidence(byId, ports);
}

function proxyEvidence(byId: Map<string, Plan>, ports: Map<Helper, Record<string, number>>) {
  return [...ports].map(([h, local]) => ({
    container: h.replica.containerName,
    targets: byId.get(h.replica.containerId)!.tcp.map((t) => ({
      to: `${t.ip}:${t.port}`,
      via: `127.0.0.1:${local[`${t.ip}:${t.port}`]}`,
    })),
  }));
}
