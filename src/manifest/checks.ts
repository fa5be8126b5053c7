import type { Problem } from '../common/errors.js';
import { didYouMean } from '../common/suggest.js';
import type { YamlSource } from '../common/yaml-source.js';
import { zodProblems } from './zod-problems.js';
import { unaddressable } from '../model/addressing.js';
import { checkLinks } from '../model/links.js';
import { resolveRefUses, type RefScope } from '../model/refs.js';
import { entrySchema, KIND_NAMES, kindSchemaOf } from '../checks/schema.js';
import type { CommonCheck } from '../model/common-check.js';
import type { CheckSpec } from '../model/suite.js';

/**
 * Validates the manifest's `checks:` entries: each names exactly one kind, fits that kind's
 * schema, and names services that exist. Every problem is reported at its line and column.
 */
export function loadChecks(
  raw: unknown[],
  src: YamlSource,
  suite: RefScope,
): { checks: CheckSpec[]; problems: Problem[] } {
  const problems: Problem[] = [];
  const checks = raw.flatMap(
    (entry, index) => loadCheck(entry, ['checks', index], index, src, suite, problems) ?? [],
  );
  return { checks, problems };
}

/** One check entry at `at` in the file, or undefined after adding its problems to `problems`. */
export function loadCheck(
  entry: unknown,
  at: (string | number)[],
  index: number,
  src: YamlSource,
  suite: RefScope,
  problems: Problem[],
): CheckSpec | undefined {
  if (!entry || typeof entry !== 'object' || Array.isArray(entry)) {
    problems.push({
      message: 'a check is a mapping with a name and one kind',
      pos: src.posOf(at),
      hint: `Kinds: ${KIND_NAMES.join(', ')}.`,
    });
    return undefined;
  }
  const keys = Object.keys(entry);
  const kinds = keys.filter((k) => KIND_NAMES.includes(k));
  if (kinds.length !== 1) {
    const guess = keys.map((k) => didYouMean(k, KIND_NAMES)).find(Boolean);
    problems.push({
      message: kinds.length
        ? `a check has one kind, this one has ${kinds.join(' and ')}`
        : 'this check names no kind',
      pos: kinds.length ? src.keyPosOf([...at, kinds[1]!]) : src.posOf(at),
      hint: kinds.length
        ? 'Split it into one check per kind.'
        : guess || `Add one of: ${KIND_NAMES.join(', ')}.`,
    });
    return undefined;
  }
  const kind = kindSchemaOf(kinds[0]!);
  const schema = entrySchema(kind);
  const parsed = schema.safeParse(entry);
  if (!parsed.success) {
    problems.push(...zodProblems(schema, parsed.error.issues, src, at));
    return undefined;
  }
  const value = parsed.data as CommonCheck & Record<string, unknown>;
  const uses = kind.refs(value as never);
  const refs = resolveRefUses(suite, uses);
  const local = [
    ...refs.problems,
    ...(kind.problems?.(value as never) ?? []),
    ...(kind.routes?.(value as never) ?? []).flatMap((route) => {
      const message = unaddressable(suite, route);
      return message ? [{ message, path: route.path }] : [];
    }),
  ];
  for (const p of local) {
    problems.push({
      message: `check "${value.name}": ${p.message}`,
      pos: src.posOf([...at, ...p.path]),
    });
  }
  if (local.length) return undefined;
  return {
    index,
    name: value.name,
    kind: kind.kind,
    phase: kind.phase,
    entry: value,
    timeoutMs: value.timeout.ms,
    retry: value.retry && {
      timeoutMs: value.retry.timeout.ms,
      intervalMs: value.retry.interval.ms,
      backoff: value.retry.backoff,
    },
    serial: value.serial,
    pos: src.keyPosOf([...at, 'name']),
    targets: refs.targets,
    links: checkLinks(suite, uses, value),
  };
}
