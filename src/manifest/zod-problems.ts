import type { z } from 'zod';
import type { Problem } from '../common/errors.js';
import { didYouMean } from '../common/suggest.js';
import type { YamlSource } from '../common/yaml-source.js';

type AnySchema = z.core.$ZodType;

/** The keys an object schema accepts at `path`, for "did you mean" on an unknown key. */
function keysAt(schema: AnySchema, path: readonly PropertyKey[]): string[] {
  let s: AnySchema | undefined = schema;
  const unwrap = (x: AnySchema): AnySchema => {
    const def = x._zod.def as unknown as Record<string, AnySchema | undefined>;
    const inner = def.innerType ?? def.in ?? def.schema;
    return inner &&
      ['optional', 'default', 'prefault', 'nullable', 'pipe', 'readonly', 'catch'].includes(
        x._zod.def.type,
      )
      ? unwrap(inner)
      : x;
  };
  for (const seg of path) {
    if (!s) return [];
    s = unwrap(s);
    const def = s._zod.def as unknown as Record<string, unknown>;
    if (def.type === 'object') s = (def.shape as Record<string, AnySchema>)[String(seg)];
    else if (def.type === 'record') s = def.valueType as AnySchema;
    else if (def.type === 'array') s = def.element as AnySchema;
    else return [];
  }
  if (!s) return [];
  s = unwrap(s);
  const def = s._zod.def as unknown as Record<string, unknown>;
  return def.type === 'object' ? Object.keys(def.shape as object) : [];
}

/** Turns zod's issues into problems that point at the manifest's line and column. */
export function zodProblems(
  schema: AnySchema,
  issues: z.core.$ZodIssue[],
  src: YamlSource,
  /** Where the validated value stands in the file, when it is not the whole document. */
  base: (string | number)[] = [],
): Problem[] {
  const out: Problem[] = [];
  for (const issue of issues) {
    const local = issue.path as (string | number)[];
    const path = [...base, ...local];
    const where = path.length ? path.join('.') : 'the manifest';
    if (issue.code === 'unrecognized_keys') {
      const allowed = keysAt(schema, local);
      for (const key of issue.keys) {
        const hint = didYouMean(key, allowed);
        out.push({
          message: `unknown key "${key}" in ${where}`,
          pos: src.keyPosOf([...path, key]),
          hint: hint || `Allowed here: ${allowed.join(', ')}.`,
        });
      }
      continue;
    }
    if (issue.code === 'invalid_union') {
      out.push({ message: `${where}: ${unionMessage(issue)}`, pos: src.posOf(path) });
      continue;
    }
    const missing = issue.code === 'invalid_type' && issue.input === undefined;
    out.push({
      message: missing ? `${where} is required` : `${where}: ${issue.message}`,
      pos: missing ? src.keyPosOf(path.slice(0, -1)) : src.posOf(path),
      hint: missing ? `Add "${String(path.at(-1))}" here.` : undefined,
    });
  }
  return out;
}

function unionMessage(issue: z.core.$ZodIssueInvalidUnion): string {
  const expected = issue.errors
    .flat()
    .map((e) => (e.code === 'invalid_type' ? e.expected : undefined))
    .filter((x): x is NonNullable<typeof x> => x !== undefined);
  return expected.length ? `expected ${[...new Set(expected)].join(' or ')}` : issue.message;
}
