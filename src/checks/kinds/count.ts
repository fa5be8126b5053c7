import { z } from 'zod';
import type { ContainerState } from '../../engine/engine.js';
import type { Runtime } from '../runtime.js';
import { defineKind, type Outcome } from '../types.js';

/** A whole number; a string is accepted because `${NUM_GPUS}` interpolates to one. */
const Num = z
  .union([z.number().int().min(0), z.string()])
  .describe('A whole number, or a string holding one (e.g. "${NUM_GPUS}").');

const CountSpec = z
  .strictObject({
    service: z
      .string()
      .optional()
      .describe('Count the replicas of this service (topology/service).'),
    label: z
      .string()
      .min(1)
      .optional()
      .describe(
        'Count the containers of this run with this label: "key=value", or "key" for any value.',
      ),
    equals: Num.optional(),
    min: Num.optional(),
    max: Num.optional(),
  })
  .refine((c) => (c.service === undefined) !== (c.label === undefined), {
    message: 'give either `service` or `label`',
  })
  .refine((c) => c.equals !== undefined || c.min !== undefined || c.max !== undefined, {
    message: 'give `equals`, or `min` and/or `max`',
  })
  .refine((c) => c.equals === undefined || (c.min === undefined && c.max === undefined), {
    message: 'give `equals` alone, or `min` and/or `max`',
  });

type Spec = z.output<typeof CountSpec>;
type Bound = 'equals' | 'min' | 'max';
const BOUNDS: readonly Bound[] = ['equals', 'min', 'max'];

/** The number a bound holds, or undefined when it is not a whole number. */
export function wholeNumber(v: number | string): number | undefined {
  if (typeof v === 'number') return v;
  return /^\s*\d+\s*$/.test(v) ? Number(v) : undefined;
}

/** "key=value" or "key". */
export function parseLabel(text: string): { key: string; value?: string } {
  const eq = text.indexOf('=');
  return eq < 0
    ? { key: text.trim() }
    : { key: text.slice(0, eq).trim(), value: text.slice(eq + 1) };
}

export const count = defineKind({
  kind: 'count',
  phase: 'live',
  shape: { count: CountSpec },
  refs: (c) => (c.count.service ? [{ ref: c.count.service, path: ['count', 'service'] }] : []),
  problems: (c) => {
    const out: { message: string; path: (string | number)[] }[] = [];
    for (const b of BOUNDS) {
      const v = c.count[b];
      if (v !== undefined && wholeNumber(v) === undefined) {
        out.push({
          message: `${b}: ${JSON.stringify(v)} is not a whole number`,
          path: ['count', b],
        });
      }
    }
    const min = c.count.min === undefined ? undefined : wholeNumber(c.count.min);
    const max = c.count.max === undefined ? undefined : wholeNumber(c.count.max);
    if (min !== undefined && max !== undefined && min > max) {
      out.push({ message: `min (${min}) is above max (${max})`, path: ['count', 'min'] });
    }
    if (c.count.label !== undefined && parseLabel(c.count.label).key === '') {
      out.push({ message: 'label: write "key=value" or "key"', path: ['count', 'label'] });
    }
    return out;
  },
  async attempt(c, ctx) {
    const rt = ctx.runtime!;
    const states = c.count.service
      ? await ofService(rt, c.count.service, ctx.signal)
      : await withLabel(rt, c.count.label!, ctx.signal);
    return judgeCount(c.count, states);
  },
});

async function ofService(rt: Runtime, ref: string, signal: AbortSignal): Promise<ContainerState[]> {
  return Promise.all(rt.replicas(ref).map((r) => rt.inspect(r, signal)));
}

/** This run's service containers (attached ones included) carrying the label, on every node the suite uses; stackcheck's own helpers are not counted. */
async function withLabel(
  rt: Runtime,
  label: string,
  signal: AbortSignal,
): Promise<ContainerState[]> {
  const { key, value } = parseLabel(label);
  const nodes = [...new Set(rt.suite.topologies.map((t) => t.node))];
  const lists = await Promise.all(
    nodes.map(async (node) => {
      const engine = rt.engine(node);
      const lists = await Promise.all(
        rt
          .serviceFilters(node)
          .map((f) => engine.listContainers({ ...f, [key]: value ?? true }, signal)),
      );
      const found = new Map(lists.flat().map((c) => [c.id, c]));
      return Promise.all([...found.keys()].map((id) => engine.inspectContainer(id, signal)));
    }),
  );
  return lists.flat().sort((a, b) => a.name.localeCompare(b.name));
}

/** Counts the running containers among `states` against the bounds. */
export function judgeCount(spec: Spec, states: ContainerState[]): Outcome {
  const running = states.filter((s) => s.status === 'running');
  const others = states.filter((s) => s.status !== 'running');
  const n = running.length;
  const what = spec.service ? `replicas of ${spec.service}` : `containers labelled ${spec.label}`;
  const bound = (b: Bound) => (spec[b] === undefined ? undefined : wholeNumber(spec[b]));
  const [equals, min, max] = BOUNDS.map(bound);
  const expected =
    equals !== undefined
      ? `${equals}`
      : min !== undefined && max !== undefined
        ? `${min} to ${max}`
        : min !== undefined
          ? `at least ${min}`
          : `at most ${max}`;
  const evidence = {
    ...(spec.service ? { service: spec.service } : { label: spec.label }),
    running: n,
    expected: Object.fromEntries(
      BOUNDS.flatMap((b) => (bound(b) === undefined ? [] : [[b, bound(b)]])),
    ),
    containers: running.map((s) => s.name),
    ...(others.length && {
      notRunning: others.map((s) => ({ container: s.name, status: s.status })),
    }),
  };
  const ok =
    (equals === undefined || n === equals) &&
    (min === undefined || n >= min) &&
    (max === undefined || n <= max);
  const notRunning = others.length
    ? ` (${others.length} more not running: ${others.map((s) => `${s.name} ${s.status}`).join(', ')})`
    : '';
  return {
    status: ok ? 'passed' : 'failed',
    message: `${n} running ${what}${ok ? '' : `, expected ${expected}`}${notRunning}`,
    evidence,
  };
}
