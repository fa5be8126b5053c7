import type { z } from 'zod';
import type { ContainerState } from '../../engine/engine.js';
import type { Runtime } from '../../live/runtime.js';
import { defineKind } from '../../live/check.js';
import type { Outcome } from '../../model/check.js';
import {
  BOUNDS,
  countSchema,
  parseLabel,
  wholeNumber,
  type Bound,
  type CountSpec,
} from './count.schema.js';

type Spec = z.output<typeof CountSpec>;

export const count = defineKind({
  ...countSchema,
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
