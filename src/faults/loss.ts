import type { z } from 'zod';
import type { Outcome } from '../model/check.js';
import { Addresses } from './network/addresses.js';
import { commit, discard, nextFaultNames, prepare, requireTools } from './network/inject.js';
import { lossRules } from './network/rules.js';
import { chainApplyScript, chainHealScript, qdiscHealScript } from './network/scripts.js';
import { defineStep, type StepContext } from '../live/step.js';
import {
  commitQdisc,
  guarded,
  netemVerdict,
  proxyThrough,
  shapingPlan,
  towards,
  type Plan,
} from './network/shaping.js';
import { lossSchema, type LossSpec } from './loss.schema.js';

/**
 * `loss`: netem where the kernel has it, else iptables' random drop (or the proxy resetting
 * that share of new connections); healed by removing the qdisc or the chain.
 */
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
    const routes = await proxyThrough(ctx, set, plans, chain, fault, {
      delayMs: 0,
      jitterMs: 0,
      resetPercent: l.percent,
    });
    return {
      status: 'passed',
      message: `resetting ${l.percent}% of new connections from ${towards(l, ctx)} with a proxy`,
      evidence: {
        mechanism: 'proxy',
        percent: l.percent,
        chain,
        routes,
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
