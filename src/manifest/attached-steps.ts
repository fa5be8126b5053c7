import { resolveServiceRef, type RefScope } from '../model/refs.js';
import type { Disturbance, Suite, TopologySpec } from '../model/suite.js';
import type { StepSchema } from '../model/step.js';

/*
 * What scenario steps may do to an attached topology (a deployed stack stackcheck must leave as
 * it found it). Steps that only look, wait or undo are always allowed; faults (steps that
 * declare `fault`) need `allow: [faults]`; every other step changes containers' lives and
 * needs `allow: [lifecycle]`, so a step added later is refused until someone decides otherwise.
 * Steps that replace containers are refused whatever `allow` says: the ids would change.
 */

/** Steps that change nothing, or only undo what the run itself did. */
const HARMLESS = new Set(['check', 'sleep', 'heal', 'unpause', 'up']);
/** Steps that remove containers and create new ones. */
const REPLACES = new Set(['recreate']);

export interface AttachProblem {
  message: string;
  path: (string | number)[];
  hint: string;
}

/** What a step needs to be allowed on an attached topology; undefined: always allowed. */
export function disturbance(kind: StepSchema): Disturbance | 'replaces' | undefined {
  if (HARMLESS.has(kind.key)) return undefined;
  if (REPLACES.has(kind.key)) return 'replaces';
  return kind.fault ? 'faults' : 'lifecycle';
}

/**
 * One problem per attached topology the step would disturb without leave: the step names one
 * of its services or the topology itself, or acts on a whole node the topology runs on.
 */
export function attachedStepProblems(
  kind: StepSchema,
  step: Record<string, unknown>,
  suite: RefScope & Pick<Suite, 'nodes'>,
): AttachProblem[] {
  const need = disturbance(kind);
  if (!need) return [];
  const out: AttachProblem[] = [];
  const seen = new Set<string>();
  for (const { topology, path } of touched(kind, step, suite)) {
    const a = topology.attach;
    if (!a || seen.has(topology.name)) continue;
    if (need !== 'replaces' && a.allow.includes(need)) continue;
    seen.add(topology.name);
    out.push(
      need === 'replaces'
        ? {
            message: `${kind.key} would replace containers of attached topology "${topology.name}" (compose project "${a.project}"), which stackcheck never does: the deployed stack must end with the containers it had`,
            path,
            hint: 'Use `restart` instead (with `allow: [lifecycle]` on the topology): it keeps the containers and their ids.',
          }
        : {
            message: `${kind.key} would disturb attached topology "${topology.name}" (compose project "${a.project}"), which allows no ${need} steps`,
            path,
            hint: `Add \`allow: [${[...a.allow, need].join(', ')}]\` to topology "${topology.name}" to let scenarios disturb the deployed stack; whatever they stop or pause is started again at the end.`,
          },
    );
  }
  return out;
}

/** The topologies a step acts on, each with where in the step it is named. */
function touched(
  kind: StepSchema,
  step: Record<string, unknown>,
  suite: RefScope & Pick<Suite, 'nodes'>,
): { topology: TopologySpec; path: (string | number)[] }[] {
  const out: { topology: TopologySpec; path: (string | number)[] }[] = [];
  for (const use of kind.refs(step as never)) {
    const r = resolveServiceRef(suite, use.ref);
    const t =
      typeof r === 'string' ? undefined : suite.topologies.find((x) => x.name === r.topology);
    if (t) out.push({ topology: t, path: use.path });
  }
  // Steps that name a topology or a node act on all of it.
  walk(step, [], (key, value, path) => {
    if (key === 'topology')
      for (const t of suite.topologies.filter((x) => x.name === value))
        out.push({ topology: t, path });
    if (key === 'node')
      for (const t of suite.topologies.filter((x) => x.node === value))
        out.push({ topology: t, path });
  });
  return out;
}

function walk(
  value: unknown,
  path: (string | number)[],
  visit: (key: string | number, value: unknown, path: (string | number)[]) => void,
): void {
  if (!value || typeof value !== 'object') return;
  for (const [k, v] of Object.entries(value)) {
    const key = Array.isArray(value) ? Number(k) : k;
    visit(key, v, [...path, key]);
    walk(v, [...path, key], visit);
  }
}
