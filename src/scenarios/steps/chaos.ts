import { randomInt } from 'node:crypto';
import type { Replica } from '../../model/refs.js';
import type { Outcome } from '../../model/check.js';
import { errorMessage } from '../../common/errors.js';
import { defineStep, type StepContext } from '../../live/step.js';
import { crash, kill } from './lifecycle.js';
import { chaosSchema, MAX_SEED, type Chaos } from './chaos.schema.js';

const list = (among: string | string[]) => (typeof among === 'string' ? [among] : among);

/**
 * `chaos` picks `pick` services or replicas among a set on every node the set runs on, at
 * random but from a seed: the same seed against the same stack picks the same ones, so a
 * failure found by chance can be replayed. Candidates are ordered by topology, service and
 * replica number, never by container ids or names, which change from run to run.
 */
export const chaos = defineStep({
  ...chaosSchema,
  async run(step, ctx) {
    const c = step.chaos;
    const seed = c.seed ?? randomInt(0, MAX_SEED);
    const picked = choose(candidates(c, ctx), c.pick, seed);
    const replay = `seed ${seed} (write \`seed: ${seed}\` to replay this choice)`;
    const outcomes: Outcome[] = [];
    try {
      for (const r of picked.flatMap((p) => p.units.flatMap((u) => u.replicas))) {
        const target = { service: `${r.topology}/${r.service}`, replica: r.index };
        outcomes.push(
          c.action === 'crash'
            ? await crash.run({ crash: target }, ctx)
            : await kill.run({ kill: { ...target, signal: 'SIGKILL' } }, ctx),
        );
      }
    } catch (e) {
      // The seed belongs with every outcome, this one included: it replays the failure too.
      throw new Error(`${replay}: ${errorMessage(e)}`, { cause: e });
    }
    const evidence = {
      seed,
      action: c.action,
      per: c.per,
      picked: picked.map((p) => ({
        node: p.node,
        of: p.of,
        chosen: p.units.map((u) => u.key),
        containers: p.units.flatMap((u) => u.replicas.map((r) => r.containerName)),
      })),
    };
    const short = picked.filter((p) => p.units.length < c.pick);
    const message =
      `${replay}: ${c.action === 'crash' ? 'crashed' : 'killed'} ` +
      picked.map((p) => `${p.units.map((u) => u.key).join(', ')} on node ${p.node}`).join('; ') +
      (short.length
        ? ` (fewer than ${c.pick} to choose from on ${short.map((p) => `${p.node}: ${p.of}`).join(', ')})`
        : '');
    const bad = outcomes.find((o) => o.status !== 'passed');
    return bad
      ? { ...bad, message: `${replay}: ${bad.message}`, evidence }
      : { status: 'passed', message, evidence };
  },
});

interface Unit {
  /** topology/service, or topology/service#replica: the order of choice. */
  key: string;
  replicas: Replica[];
}

/** The units to choose from, by node, each list in a stable order. */
function candidates(c: Chaos, ctx: StepContext): Map<string, Unit[]> {
  const seen = new Map<string, Replica>();
  for (const ref of list(c.among))
    for (const r of ctx.runtime.replicas(ref)) seen.set(r.containerId, r);
  const byNode = new Map<string, Map<string, Unit>>();
  for (const r of seen.values()) {
    const key =
      c.per === 'service' ? `${r.topology}/${r.service}` : `${r.topology}/${r.service}#${r.index}`;
    const units = byNode.get(r.node) ?? new Map<string, Unit>();
    byNode.set(r.node, units);
    const u = units.get(key) ?? { key, replicas: [] };
    u.replicas.push(r);
    units.set(key, u);
  }
  if (byNode.size === 0)
    throw new Error(`${list(c.among).join(', ')}: no container in this run to choose from`);
  return new Map(
    [...byNode.keys()]
      .sort()
      .map((node) => [node, [...byNode.get(node)!.values()].sort((a, b) => compare(a.key, b.key))]),
  );
}

/** Keys in order, replica numbers numerically (svc#2 before svc#10). */
function compare(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}

/** `pick` units per node, drawn without replacement from one seeded sequence, nodes in name order. */
export function choose<T>(
  byNode: Map<string, T[]>,
  pick: number,
  seed: number,
): { node: string; of: number; units: T[] }[] {
  const next = mulberry32(seed);
  return [...byNode].map(([node, units]) => {
    const pool = [...units];
    const chosen: T[] = [];
    while (chosen.length < pick && pool.length)
      chosen.push(pool.splice(Math.floor(next() * pool.length), 1)[0]!);
    return { node, of: units.length, units: chosen };
  });
}

/** A small, well-known 32-bit generator: the same seed gives the same sequence everywhere. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
