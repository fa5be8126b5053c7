import type { z } from 'zod';
import type { Outcome } from '../model/check.js';
import { Addresses } from './network/addresses.js';
import { discard, nextFaultNames, prepare, requireTools } from './network/inject.js';
import { qdiscHealScript } from './network/scripts.js';
import { parseRate } from '../common/duration.js';
import { defineStep, type StepContext } from '../live/step.js';
import { commitQdisc, guarded, shapingPlan, towards } from './network/shaping.js';
import { bandwidthSchema, type BandwidthSpec } from './bandwidth.schema.js';

/**
 * `bandwidth`: tbf on the client's interfaces (htb with a class for the peers named by `to:`);
 * healed by removing the root qdisc.
 */
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
