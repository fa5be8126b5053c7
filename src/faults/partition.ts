import type { z } from 'zod';
import type { Replica } from '../model/refs.js';
import type { Outcome } from '../model/check.js';
import { Addresses, type PeerAddress } from './network/addresses.js';
import { commit, FaultError, nextFaultNames, prepare, requireTools } from './network/inject.js';
import { partitionRules } from './network/rules.js';
import { chainApplyScript, chainHealScript } from './network/scripts.js';
import { defineStep, type StepContext } from '../live/step.js';
import { guarded, names, onNode, replicasOf } from './network/shaping.js';
import type { Group } from './network/shaping.schema.js';
import { partitionSchema, type PartitionSpec } from './partition.schema.js';

/**
 * `partition`: iptables rules in each affected container's network namespace drop what the
 * other side sends (and cut connections to peers on other engines); healed by removing the chain.
 */
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
