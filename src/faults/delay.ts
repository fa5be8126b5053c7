import type { z } from 'zod';
import type { Outcome } from '../model/check.js';
import { Addresses } from './network/addresses.js';
import { discard, nextFaultNames, prepare, requireTools } from './network/inject.js';
import { chainHealScript, qdiscHealScript } from './network/scripts.js';
import { defineStep, type StepContext } from '../live/step.js';
import {
  commitQdisc,
  guarded,
  netemVerdict,
  proxyThrough,
  shapingPlan,
  towards,
} from './network/shaping.js';
import { delaySchema, type DelaySpec } from './delay.schema.js';

/**
 * `delay`: netem on the client's interfaces where the kernel has it, else a user-space proxy
 * that the client's connections are redirected through; healed by removing either.
 */
export const delay = defineStep({
  ...delaySchema,
  run: (step, ctx) => guarded(() => runDelay(step.delay, ctx)),
});

async function runDelay(d: z.output<typeof DelaySpec>, ctx: StepContext): Promise<Outcome> {
  const ms = d.ms ?? d.duration!.ms;
  const jitterMs = d.jitter === undefined ? 0 : d.jitter.ms;
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
  const routes = await proxyThrough(
    ctx,
    set,
    plans,
    chain,
    { id: `delay:${chain}`, kind: 'delay', description: `delay ${what}` },
    { delayMs: ms, jitterMs, resetPercent: 0 },
  );
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
      routes,
    },
  };
}

/** Whether netem works in every helper: `use`, or why not (missing from the kernel). */
