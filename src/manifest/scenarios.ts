import { loadCheck } from './checks.js';
import { KIND_NAMES } from '../checks/schema.js';
import type { CheckSpec } from '../model/suite.js';
import { Duration } from '../common/duration.js';
import type { Problem } from '../common/errors.js';
import { didYouMean } from '../common/suggest.js';
import type { YamlSource } from '../common/yaml-source.js';
import type { Suite } from '../model/suite.js';
import { zodProblems } from './zod-problems.js';
import { resolveRefUses, type RefScope } from '../model/refs.js';
import { attachedStepProblems } from './attached-steps.js';
import { CHECK_STEP, STEP_KEYS, stepSchema, stepSchemaOf } from '../scenarios/schema.js';
import type { ScenarioSpec, StepSpec } from '../model/suite.js';

const NON_ACTION_KEYS = new Set(['name', 'for', 'expect']);

/**
 * Validates `scenarios:`: each step names exactly one action, fits that action's schema,
 * names services and nodes that exist; `check` steps are validated as checks.
 */
export function loadScenarios(
  raw: unknown,
  src: YamlSource,
  suite: RefScope & Pick<Suite, 'nodes'>,
): { scenarios: ScenarioSpec[]; problems: Problem[] } {
  const problems: Problem[] = [];
  const scenarios: ScenarioSpec[] = [];
  if (!Array.isArray(raw)) return { scenarios, problems };
  raw.forEach((sc, i) => {
    const at = ['scenarios', i];
    const s = sc as { name?: unknown; steps?: unknown };
    if (
      !s ||
      typeof s !== 'object' ||
      typeof s.name !== 'string' ||
      !Array.isArray(s.steps) ||
      s.steps.length === 0
    ) {
      problems.push({
        message: 'a scenario has a `name` and a list of `steps`',
        pos: src.posOf(at),
      });
      return;
    }
    const steps = s.steps.flatMap(
      (step, j) => loadStep(step, [...at, 'steps', j], j, src, suite, problems) ?? [],
    );
    scenarios.push({ name: s.name, steps, pos: src.keyPosOf([...at, 'name']) });
  });
  return { scenarios, problems };
}

function loadStep(
  raw: unknown,
  at: (string | number)[],
  index: number,
  src: YamlSource,
  suite: RefScope & Pick<Suite, 'nodes'>,
  problems: Problem[],
): StepSpec | undefined {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
    problems.push({
      message: 'a step is a mapping with one action',
      pos: src.posOf(at),
      hint: `Actions: ${STEP_KEYS.join(', ')}.`,
    });
    return undefined;
  }
  const actions = Object.keys(raw).filter((k) => !NON_ACTION_KEYS.has(k));
  const known = actions.filter((k) => STEP_KEYS.includes(k));
  if (known.length !== 1 || actions.length !== 1) {
    const unknown = actions.find((k) => !STEP_KEYS.includes(k));
    problems.push({
      message: unknown
        ? `unknown step action "${unknown}"`
        : known.length
          ? `a step has one action, this one has ${known.join(' and ')}`
          : 'this step names no action',
      pos: unknown ? src.keyPosOf([...at, unknown]) : src.posOf(at),
      hint: (unknown && didYouMean(unknown, STEP_KEYS)) || `Actions: ${STEP_KEYS.join(', ')}.`,
    });
    return undefined;
  }
  const key = known[0]!;
  const entry = raw as Record<string, unknown>;
  const name = typeof entry.name === 'string' ? entry.name : undefined;
  if (key === CHECK_STEP) {
    const check = loadCheckStep(entry, at, index, src, suite, problems);
    return (
      check && {
        index,
        key,
        name: name ?? check.name,
        entry,
        check,
        targets: check.targets,
        pos: src.keyPosOf([...at, key]),
      }
    );
  }
  const kind = stepSchemaOf(key);
  const schema = stepSchema(kind);
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    problems.push(...zodProblems(schema, parsed.error.issues, src, at));
    return undefined;
  }
  const refs = resolveRefUses(suite, kind.refs(parsed.data as never));
  const local: { message: string; path: (string | number)[]; hint?: string }[] = [
    ...refs.problems,
    ...(kind.problems?.(parsed.data as never, suite) ?? []),
    // A deployed stack is disturbed only where its topology allows it.
    ...attachedStepProblems(kind, parsed.data as Record<string, unknown>, suite),
  ];
  for (const p of local)
    problems.push({
      message: `step ${key}: ${p.message}`,
      pos: src.posOf([...at, ...p.path]),
      ...(p.hint && { hint: p.hint }),
    });
  if (local.length) return undefined;
  const data = parsed.data as Record<string, unknown>;
  return {
    index,
    key,
    name: name ?? describeStep(key, data[key]),
    entry: data,
    targets: refs.targets,
    forMs: data.for instanceof Duration ? data.for.ms : undefined,
    pos: src.keyPosOf([...at, key]),
  };
}

function loadCheckStep(
  entry: Record<string, unknown>,
  at: (string | number)[],
  index: number,
  src: YamlSource,
  suite: Pick<Suite, 'topologies'>,
  problems: Problem[],
): CheckSpec | undefined {
  const inner = entry[CHECK_STEP];
  if (!inner || typeof inner !== 'object' || Array.isArray(inner)) {
    problems.push({
      message: '`check:` holds a check entry (http, exec, …)',
      pos: src.posOf([...at, CHECK_STEP]),
    });
    return undefined;
  }
  const kind = Object.keys(inner).find((k) => KIND_NAMES.includes(k)) ?? 'check';
  const named = { name: (entry.name as string | undefined) ?? `${kind} check`, ...inner };
  return loadCheck(named, [...at, CHECK_STEP], index, src, suite, problems);
}

function describeStep(key: string, value: unknown): string {
  if (value instanceof Duration) return `${key} ${value.text}`;
  if (value && typeof value === 'object') {
    const v = value as Record<string, unknown>;
    const target =
      v.service ??
      v.topology ??
      v.node ??
      (typeof v.isolate === 'string' ? `isolate ${v.isolate}` : undefined) ??
      (Array.isArray(v.between) ? v.between.map(String).join(' ↔ ') : undefined);
    if (target) return `${key} ${String(target)}`;
  }
  return typeof value === 'string' ? `${key} ${value}` : key;
}
