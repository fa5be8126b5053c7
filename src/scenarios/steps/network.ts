import type { z } from 'zod';
import type { Replica } from '../../checks/runtime.js';
import type { Outcome } from '../../checks/types.js';
import { parseDuration } from '../../common/duration.js';
import { Addresses, type PeerAddress } from '../network/addresses.js';
import {
  commit,
  discard,
  FaultError,
  missingTool,
  nextFaultNames,
  prepare,
  requireTools,
  startProxies,
  type Helper,
  type Helpers,
} from '../network/inject.js';
import { PROXY_UID } from '../network/proxy.js';
import {
  destinationsOf,
  lossRules,
  partitionRules,
  proxyRules,
  type Destination,
} from '../network/rules.js';
import {
  chainApplyScript,
  chainHealScript,
  closeConnectionsScript,
  parseRate,
  qdiscApplyScript,
  qdiscHealScript,
  qdiscVerdict,
  type QdiscPlan,
} from '../network/scripts.js';
import { defineStep, type StepContext } from '../types.js';
import { targets } from './target.js';
import {
  bandwidthSchema,
  delaySchema,
  list,
  lossSchema,
  partitionSchema,
  type BandwidthSpec,
  type DelaySpec,
  type Group,
  type LossSpec,
  type PartitionSpec,
  type Shaped,
} from './network.schema.js';

/*
 * Network faults: partition (iptables), delay and loss (netem where the kernel has it; else a
 * user-space proxy for delay and iptables' random drop for loss), bandwidth (tbf, or htb with
 * `to:`). Each runs from helper containers in the affected services' network namespaces; see
 * src/scenarios/network/inject.ts for the life cycle and docs/faults.md for the user's view.
 */

/** Every replica of every service of a group, each once. */
function replicasOf(ctx: StepContext, g: Group): Replica[] {
  const seen = new Map<string, Replica>();
  for (const ref of list(g)) {
    const rs = ctx.runtime.replicas(ref);
    if (rs.length === 0) throw new FaultError(`${ref} has no container in this run`);
    for (const r of rs) seen.set(r.containerId, r);
  }
  return [...seen.values()];
}

/** Every replica the run has on a node. */
function onNode(ctx: StepContext, node: string): Replica[] {
  const rs = ctx.runtime.replicasAll.filter((r) => r.node === node);
  if (rs.length === 0) throw new FaultError(`node ${node} has no container in this run`);
  return rs;
}

const names = (rs: Replica[]) => [...new Set(rs.map((r) => `${r.topology}/${r.service}`))];

/** Runs a fault step; a FaultError (the fault could not be applied, nothing changed) is its `error`. */
async function guarded(fn: () => Promise<Outcome>): Promise<Outcome> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof FaultError) return { status: 'error', message: e.message, evidence: {} };
    throw e;
  }
}

// ---- partition -----------------------------------------------------------------------------

export const partition = defineStep({
  ...partitionSchema,
  run: (step, ctx) => guarded(() => runPartition(step.partition, ctx)),
});

async function runPartition(p: z.output<typeof PartitionSpec>, ctx: StepContext): Promise<Outcome> {
  const addrs = new Addresses(ctx.runtime, ctx.signal);
  const running = async (rs: Replica[]) => {
    const states = await Promise.all(rs.map((r) => addrs.state(r)));
    return rs.filter((_, i) => states[i]!.running);
  };
  const named: { group?: Group; node?: string }[] = p.nodes
    ? p.nodes.map((node) => ({ node }))
    : (p.between ?? [p.isolate!]).map((group) => ({ group }));
  const sides = await Promise.all(
    named.map(async ({ group, node }) => {
      const all = group ? replicasOf(ctx, group) : onNode(ctx, node!);
      const up = await running(all);
      const down = all.filter((r) => !up.includes(r));
      if (down.length)
        throw new FaultError(
          `cannot partition: ${down.map((r) => r.containerName).join(', ')} ${down.length === 1 ? 'is' : 'are'} not running`,
        );
      return up;
    }),
  );
  const sideA = sides[0]!;
  const inA = new Set(sideA.map((r) => r.containerId));
  // isolate: from every other running container of the run (a stopped one has no namespace).
  const sideB =
    sides[1] ?? (await running(ctx.runtime.replicasAll.filter((r) => !inA.has(r.containerId))));
  if (sideB.length === 0)
    throw new FaultError(
      `cannot partition: no other service to isolate ${names(sideA).join(', ')} from`,
    );
  const oneway = p.oneway === true;

  // Each container drops what peers on its engine send it (the receiving end: silence, as in a
  // real partition) and cuts its own connections to peers on other engines. Both ways: both
  // sides; one way (A → B): B drops what A opens, A cuts its connections to B across engines.
  const plans = new Map<string, { r: Replica; from: PeerAddress[]; to: PeerAddress[] }>();
  const add = async (r: Replica, peers: Replica[], kinds: { from: boolean; to: boolean }) => {
    const pa = await Promise.all(peers.map((x) => addrs.peer(r, x)));
    const plan = plans.get(r.containerId) ?? { r, from: [], to: [] };
    if (kinds.from) plan.from.push(...pa.filter((x) => x.sameNode));
    if (kinds.to) plan.to.push(...pa.filter((x) => !x.sameNode));
    plans.set(r.containerId, plan);
  };
  for (const r of sideA) await add(r, sideB, { from: !oneway, to: true });
  for (const r of sideB) await add(r, sideA, { from: true, to: !oneway });
  const rulesOf = new Map(
    [...plans.values()].map((x) => [x.r.containerId, partitionRules(x, oneway)]),
  );
  const active = [...plans.values()].filter((x) => rulesOf.get(x.r.containerId)!.length > 0);
  if (active.length === 0)
    throw new FaultError(
      `cannot partition: no address of ${names([...sideA, ...sideB]).join(', ')} was found (not running?)`,
    );

  const { chain } = nextFaultNames(ctx.runtime.runId);
  const v6 = [...rulesOf.values()].some((rs) => rs.some((r) => r.family === 6));
  const set = await prepare(ctx, {
    verb: 'partition',
    kind: 'partition',
    targets: active.map((x) => x.r),
    heal: chainHealScript(chain, { v6 }),
    needs: { iptables: true, ip6tables: v6 },
  });
  await requireTools(set, v6 ? ['iptables', 'ip6tables'] : ['iptables']);
  const arrow = oneway ? '→' : '↔';
  const what = p.nodes
    ? `node ${p.nodes[0]} ${arrow} node ${p.nodes[1]}`
    : p.between
      ? `${names(sideA).join(', ')} ${arrow} ${names(sideB).join(', ')}`
      : `${names(sideA).join(', ')} isolated`;
  await commit(
    ctx,
    set,
    {
      id: `partition:${chain}`,
      kind: 'partition',
      description: `partition ${what}`,
      mechanism: 'iptables',
    },
    (h) =>
      chainApplyScript(chain, rulesOf.get(h.replica.containerId)!, { filter: ['INPUT', 'OUTPUT'] }),
  );
  return {
    status: 'passed',
    message: `cut ${what} (iptables chain ${chain} in ${set.list.length} container${set.list.length === 1 ? '' : 's'})`,
    evidence: {
      mechanism: 'iptables',
      chain,
      image: set.image,
      iptables: set.list[0]!.facts.iptables,
      containers: active.map((x) => ({
        container: x.r.containerName,
        rules: rulesOf.get(x.r.containerId)!.length,
        dropsFrom: x.from.map((pa) => pa.replica.containerName),
        ...(x.to.length ? { cutsTo: x.to.map((pa) => pa.replica.containerName) } : {}),
      })),
    },
  };
}

// ---- shared by delay, loss and bandwidth ---------------------------------------------------

/** The client containers, and for each, the peers its shaped traffic goes to. */
async function shapingPlan(v: Shaped, ctx: StepContext, addrs: Addresses) {
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

type Plan = Awaited<ReturnType<typeof shapingPlan>>['plans'][number];

function towards(v: Shaped, ctx: StepContext): string {
  const src = names(ctx.runtime.replicas(v.service)).join(', ');
  return v.to ? `${src} → ${list(v.to).join(', ')}` : src;
}

/** The root qdisc of the client's interfaces (with `to:`, an htb class for those peers). */
async function commitQdisc(
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

// ---- delay ---------------------------------------------------------------------------------

export const delay = defineStep({
  ...delaySchema,
  run: (step, ctx) => guarded(() => runDelay(step.delay, ctx)),
});

async function runDelay(d: z.output<typeof DelaySpec>, ctx: StepContext): Promise<Outcome> {
  const ms = d.ms ?? parseDuration(d.duration!)!;
  const jitterMs = d.jitter === undefined ? 0 : parseDuration(d.jitter)!;
  const addrs = new Addresses(ctx.runtime, ctx.signal);
  const { plans } = await shapingPlan(d, ctx, addrs);
  const { chain, handle } = nextFaultNames(ctx.runtime.runId);
  const set = await prepare(ctx, {
    verb: 'delay',
    kind: 'delay',
    targets: plans.map((x) => x.r),
    heal: `${qdiscHealScript(handle)}\n${chainHealScript(chain)}`,
    needs: {
      iptables: d.via !== 'netem',
      nat: d.via !== 'netem',
      qdiscs: d.via === 'proxy' ? undefined : { netem: ['delay', '1ms'] },
    },
  });
  const what = `${towards(d, ctx)} +${ms}ms${jitterMs ? ` ±${jitterMs}ms` : ''}`;
  const netem = netemVerdict(set, d.via === 'proxy');
  if (netem.use) {
    await commitQdisc(
      ctx,
      set,
      plans,
      handle,
      { id: `delay:${chain}`, kind: 'delay', description: `delay ${what}`, mechanism: 'netem' },
      { kind: 'netem', args: ['delay', `${ms}ms`, ...(jitterMs ? [`${jitterMs}ms`] : [])] },
    );
    return {
      status: 'passed',
      message: `delayed ${what} with netem`,
      evidence: { mechanism: 'netem', delayMs: ms, jitterMs, handle, image: set.image },
    };
  }
  if (d.via === 'netem') await discard(set, `cannot delay: netem is not available (${netem.why})`);
  await requireTools(set, ['iptables', 'nat']);
  const empty = plans.find((x) => x.tcp.length === 0);
  if (empty)
    await discard(
      set,
      `cannot delay with the proxy: no TCP port to delay from ${empty.r.containerName} (${d.to ? 'the `to` services expose none; name them with `port:`' : 'no other service exposes a port'})`,
    );
  const byId = new Map(plans.map((x) => [x.r.containerId, x]));
  const ports = await startProxies(ctx, set, (h) => ({
    routes: byId.get(h.replica.containerId)!.tcp.map((t) => ({ host: t.ip, port: t.port! })),
    delayMs: ms,
    jitterMs,
    resetPercent: 0,
    uid: PROXY_UID,
  }));
  await commitProxy(ctx, set, byId, ports, chain, {
    id: `delay:${chain}`,
    kind: 'delay',
    description: `delay ${what}`,
  });
  return {
    status: 'passed',
    message: `delayed ${what} with a proxy (${netem.why ? `no netem: ${netem.why}` : 'as asked'})`,
    evidence: {
      mechanism: 'proxy',
      netem: netem.why ? `not available: ${netem.why}` : 'not tried',
      delayMs: ms,
      jitterMs,
      chain,
      image: set.image,
      routes: proxyEvidence(byId, ports),
    },
  };
}

/** Whether netem works in every helper: `use`, or why not (missing from the kernel). */
function netemVerdict(set: Helpers, skip: boolean): { use: boolean; why?: string } {
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

async function commitProxy(
  ctx: StepContext,
  set: Helpers,
  byId: Map<string, Plan>,
  ports: Map<Helper, Record<string, number>>,
  chain: string,
  fault: { id: string; kind: string; description: string },
) {
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

// ---- loss ----------------------------------------------------------------------------------

export const loss = defineStep({
  ...lossSchema,
  run: (step, ctx) => guarded(() => runLoss(step.loss, ctx)),
});

async function runLoss(l: z.output<typeof LossSpec>, ctx: StepContext): Promise<Outcome> {
  const addrs = new Addresses(ctx.runtime, ctx.signal);
  const { plans } = await shapingPlan(l, ctx, addrs);
  const { chain, handle } = nextFaultNames(ctx.runtime.runId);
  const v6 = await hasV6(plans, addrs);
  const set = await prepare(ctx, {
    verb: 'loss',
    kind: 'loss',
    targets: plans.map((x) => x.r),
    heal: `${qdiscHealScript(handle)}\n${chainHealScript(chain, { v6 })}`,
    needs: {
      iptables: l.via !== 'netem',
      nat: l.via === 'proxy',
      ip6tables: v6 && l.via !== 'netem' && l.via !== 'proxy',
      qdiscs: l.via === undefined || l.via === 'netem' ? { netem: ['loss', '1%'] } : undefined,
    },
  });
  const what = `${l.percent}% of ${towards(l, ctx)}`;
  const fault = { id: `loss:${chain}`, kind: 'loss', description: `loss of ${what}` };
  const netem = netemVerdict(set, l.via === 'iptables' || l.via === 'proxy');
  if (netem.use) {
    await commitQdisc(
      ctx,
      set,
      plans,
      handle,
      { ...fault, mechanism: 'netem' },
      {
        kind: 'netem',
        args: ['loss', `${l.percent}%`],
      },
    );
    return {
      status: 'passed',
      message: `dropping ${what} with netem`,
      evidence: { mechanism: 'netem', percent: l.percent, handle, image: set.image },
    };
  }
  if (l.via === 'netem') await discard(set, `cannot loss: netem is not available (${netem.why})`);
  if (l.via === 'proxy') {
    await requireTools(set, ['iptables', 'nat']);
    const byId = new Map(plans.map((x) => [x.r.containerId, x]));
    const ports = await startProxies(ctx, set, (h) => ({
      routes: byId.get(h.replica.containerId)!.tcp.map((t) => ({ host: t.ip, port: t.port! })),
      delayMs: 0,
      jitterMs: 0,
      resetPercent: l.percent,
      uid: PROXY_UID,
    }));
    await commitProxy(ctx, set, byId, ports, chain, fault);
    return {
      status: 'passed',
      message: `resetting ${l.percent}% of new connections from ${towards(l, ctx)} with a proxy`,
      evidence: {
        mechanism: 'proxy',
        percent: l.percent,
        chain,
        routes: proxyEvidence(byId, ports),
      },
    };
  }
  await requireTools(set, v6 ? ['iptables', 'ip6tables'] : ['iptables']);
  const byId = new Map(plans.map((x) => [x.r.containerId, x]));
  const families: (4 | 6)[] = v6 ? [4, 6] : [4];
  await commit(ctx, set, { ...fault, mechanism: 'iptables-statistic' }, (h) =>
    chainApplyScript(chain, lossRules(l.percent, byId.get(h.replica.containerId)!.dst, families), {
      filter: ['INPUT'],
    }),
  );
  return {
    status: 'passed',
    message: `dropping ${what} with iptables' random match (${netem.why ? `no netem: ${netem.why}` : 'as asked'})`,
    evidence: {
      mechanism: 'iptables-statistic',
      netem: netem.why ? `not available: ${netem.why}` : 'not tried',
      percent: l.percent,
      chain,
      image: set.image,
    },
  };
}

/** Whether a client container has IPv6 addresses (loss without `to:` drops those packets too). */
async function hasV6(plans: Plan[], addrs: Addresses): Promise<boolean> {
  if (plans.some((x) => x.dst?.some((d) => d.ip.includes(':')))) return true;
  const states = await Promise.all(plans.map((x) => addrs.state(x.r)));
  return (
    plans.every((x) => x.dst === undefined) && states.some((s) => s.networks?.some((n) => n.ipv6))
  );
}

// ---- bandwidth -----------------------------------------------------------------------------

export const bandwidth = defineStep({
  ...bandwidthSchema,
  run: (step, ctx) => guarded(() => runBandwidth(step.bandwidth, ctx)),
});

async function runBandwidth(b: z.output<typeof BandwidthSpec>, ctx: StepContext): Promise<Outcome> {
  const rateBits = parseRate(b.rate)!;
  const addrs = new Addresses(ctx.runtime, ctx.signal);
  const { plans } = await shapingPlan(b, ctx, addrs);
  const { chain, handle } = nextFaultNames(ctx.runtime.runId);
  const kind = b.to ? 'htb' : 'tbf';
  const set = await prepare(ctx, {
    verb: 'limit bandwidth',
    kind: 'bandwidth',
    targets: plans.map((x) => x.r),
    heal: qdiscHealScript(handle),
    needs: {
      qdiscs: {
        [kind]: kind === 'tbf' ? ['rate', '1gbit', 'burst', '64kb', 'latency', '1ms'] : [],
      },
    },
  });
  await requireTools(set, ['tc']);
  for (const h of set.list) {
    const answer = h.facts[`qdisc.${kind}`];
    if (answer !== 'ok')
      await discard(
        set,
        `cannot limit bandwidth: the ${kind} qdisc is not available in ${h.replica.containerName}'s network namespace (${answer ?? 'not checked'})`,
      );
  }
  const what = `${towards(b, ctx)} to ${b.rate}`;
  await commitQdisc(
    ctx,
    set,
    plans,
    handle,
    {
      id: `bandwidth:${chain}`,
      kind: 'bandwidth',
      description: `bandwidth of ${what}`,
      mechanism: kind,
    },
    { kind: 'tbf', rateBits },
  );
  return {
    status: 'passed',
    message: `limited ${what} with ${kind}`,
    evidence: { mechanism: kind, rateBits, handle, image: set.image },
  };
}
