import { parseDuration, parseSize } from '../common/duration.js';
import type { LoadContext, Node } from './node.js';

/*
 * Typed readers over a Node. Each returns undefined after recording a problem at the
 * value's position, so a normaliser can keep going and the user sees every mistake at once.
 * A null value counts as absent, as compose treats it.
 *
 * Strings are accepted where compose's schema turns interpolated text into numbers or
 * booleans (`replicas: ${N}` arrives here as the string "3").
 */

function describe(v: unknown): string {
  if (v === null || v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return `${typeof v} ${JSON.stringify(v)}`;
}

export function typeError(n: Node, ctx: LoadContext, expected: string, hint: string): undefined {
  ctx.problems.add(n.pos, `${n.label} must be ${expected}, got ${describe(n.value)}`, hint);
  return undefined;
}

export function str(n: Node, ctx: LoadContext): string | undefined {
  if (n.isNull) return undefined;
  if (typeof n.value === 'string') return n.value;
  if (typeof n.value === 'number') return String(n.value);
  return typeError(n, ctx, 'a string', `Write a single value here, e.g. ${n.key}: "value".`);
}

const TRUE = new Set(['true', 'yes', 'y', 'on']);
const FALSE = new Set(['false', 'no', 'n', 'off']);

export function bool(n: Node, ctx: LoadContext): boolean | undefined {
  if (n.isNull) return undefined;
  if (typeof n.value === 'boolean') return n.value;
  if (typeof n.value === 'string') {
    const s = n.value.trim().toLowerCase();
    if (TRUE.has(s)) return true;
    if (FALSE.has(s)) return false;
  }
  return typeError(n, ctx, 'true or false', `Write ${n.key}: true or ${n.key}: false.`);
}

export function num(
  n: Node,
  ctx: LoadContext,
  opts: { integer?: boolean; min?: number; max?: number } = {},
): number | undefined {
  if (n.isNull) return undefined;
  const v = typeof n.value === 'string' && n.value.trim() !== '' ? Number(n.value) : n.value;
  const what = opts.integer ? 'a whole number' : 'a number';
  const range =
    opts.min !== undefined && opts.max !== undefined
      ? ` from ${opts.min} to ${opts.max}`
      : opts.min !== undefined
        ? ` of at least ${opts.min}`
        : '';
  if (
    typeof v !== 'number' ||
    !Number.isFinite(v) ||
    (opts.integer && !Number.isInteger(v)) ||
    (opts.min !== undefined && v < opts.min) ||
    (opts.max !== undefined && v > opts.max)
  ) {
    return typeError(
      n,
      ctx,
      what + range,
      `Write a number${range} here, e.g. ${n.key}: ${opts.min ?? 1}.`,
    );
  }
  return v;
}

export function duration(n: Node, ctx: LoadContext): number | undefined {
  if (n.isNull) return undefined;
  const ms =
    typeof n.value === 'string' || typeof n.value === 'number' ? parseDuration(n.value) : undefined;
  if (ms === undefined) {
    return typeError(
      n,
      ctx,
      'a duration',
      'Write a duration with a unit, e.g. 500ms, 30s, 1m30s, 2h.',
    );
  }
  return ms;
}

export function size(n: Node, ctx: LoadContext): number | undefined {
  if (n.isNull) return undefined;
  const bytes =
    typeof n.value === 'string' || typeof n.value === 'number' ? parseSize(n.value) : undefined;
  if (bytes === undefined) {
    return typeError(
      n,
      ctx,
      'a size',
      'Write a size in bytes or with a unit, e.g. 512m, 1g, 256MiB.',
    );
  }
  return bytes;
}

export function oneOf<T extends string>(
  n: Node,
  ctx: LoadContext,
  values: readonly T[],
): T | undefined {
  const s = str(n, ctx);
  if (s === undefined) return undefined;
  if ((values as readonly string[]).includes(s)) return s as T;
  ctx.problems.add(
    n.pos,
    `${n.label} must be one of ${values.join(', ')}, got "${s}"`,
    `Use one of: ${values.join(', ')}.`,
  );
  return undefined;
}

/** A list of strings; with `single`, one bare string is taken as a one-item list (`dns: 8.8.8.8`). */
export function strList(
  n: Node,
  ctx: LoadContext,
  opts: { single?: boolean } = {},
): string[] | undefined {
  if (n.isNull) return undefined;
  if (opts.single && (typeof n.value === 'string' || typeof n.value === 'number'))
    return [String(n.value)];
  if (!n.isList()) {
    return typeError(n, ctx, 'a list of strings', `Write a list, e.g. ${n.key}: ["a", "b"].`);
  }
  const out: string[] = [];
  for (const item of n.items()) {
    const s = str(item, ctx);
    if (s !== undefined) out.push(s);
  }
  return out;
}

/** A mapping's entries, or a type error when it is anything else. */
export function mapping(n: Node, ctx: LoadContext): Node[] | undefined {
  if (n.isNull) return undefined;
  if (!n.isMap())
    return typeError(
      n,
      ctx,
      'a mapping',
      `Write ${n.key} as "key: value" lines indented below it.`,
    );
  return n.entries();
}

/** Scalars that compose writes into a string map: numbers and booleans become their text. */
function scalarText(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return undefined;
}

/**
 * compose's "list or mapping" form (`environment`, `labels`, `sysctls`, `build.args`):
 * `- KEY=value` / `- KEY`, or `KEY: value` / `KEY:`. A key written without a value maps to
 * null; the caller decides what that means.
 */
export function keyValues(n: Node, ctx: LoadContext): Map<string, string | null> | undefined {
  if (n.isNull) return undefined;
  const out = new Map<string, string | null>();
  if (n.isMap()) {
    for (const e of n.entries()) {
      if (e.isNull) out.set(e.key, null);
      else {
        const text = scalarText(e.value);
        if (text === undefined)
          typeError(e, ctx, 'a single value', `Write ${e.key}: "value" (quote it if needed).`);
        else out.set(e.key, text);
      }
    }
    return out;
  }
  if (n.isList()) {
    for (const item of n.items()) {
      const text = scalarText(item.value);
      if (text === undefined) {
        typeError(item, ctx, 'a "KEY=value" string', 'Write each entry as "KEY=value".');
        continue;
      }
      const i = text.indexOf('=');
      const key = i < 0 ? text : text.slice(0, i);
      if (key.trim() === '') {
        ctx.problems.add(
          item.pos,
          `${item.label}: "${text}" has no name before "="`,
          'Write each entry as "KEY=value".',
        );
        continue;
      }
      out.set(key, i < 0 ? null : text.slice(i + 1));
    }
    return out;
  }
  return typeError(
    n,
    ctx,
    'a list of "KEY=value" strings or a mapping',
    `Write either "- KEY=value" items or "KEY: value" lines.`,
  );
}

/** keyValues where a missing value is simply the empty string (labels, sysctls). */
export function stringMap(n: Node, ctx: LoadContext): Record<string, string> | undefined {
  const kv = keyValues(n, ctx);
  if (!kv) return undefined;
  return Object.fromEntries([...kv].map(([k, value]) => [k, value ?? '']));
}

/**
 * keyValues where a missing value is taken from the run's environment and left out when
 * that is unset (compose's rule for `environment` and `build.args`). Left-out keys stay in
 * the result as undefined so that a later file can remove an earlier value.
 */
export function envMap(n: Node, ctx: LoadContext): Record<string, string | undefined> | undefined {
  const kv = keyValues(n, ctx);
  if (!kv) return undefined;
  return Object.fromEntries([...kv].map(([k, value]) => [k, value ?? ctx.env[k]]));
}

/** Sets `obj[key]` only when there is a value, so "not written" stays distinguishable for merging. */
export function setDefined<T extends object, K extends keyof T>(
  obj: T,
  key: K,
  value: T[K] | undefined,
): void {
  if (value !== undefined) obj[key] = value;
}
