import { existsSync } from 'node:fs';
import { isUserError } from '../common/errors.js';
import { ENV_FILE, readEnvFile, type KeyValueFileKind } from './env-file.js';
import { checkKeys } from './keys.js';
import type { LoadContext, Node } from './node.js';
import { displayName, resolveHostPath } from './paths.js';
import { bool, oneOf, str, typeError } from './read.js';

function hint(kind: KeyValueFileKind): string {
  return kind === ENV_FILE
    ? 'Write env_file: ./app.env, a list of paths, or a list of { path, required } entries.'
    : `Write ${kind.key}: ./app.labels, or a list of paths.`;
}

/** One entry: a path, or (env_file only) a { path, required } mapping. */
function entry(
  n: Node,
  ctx: LoadContext,
  kind: KeyValueFileKind,
): { path: string; required: boolean; raw?: boolean; node: Node } | undefined {
  if (n.isMap() && kind === ENV_FILE) {
    checkKeys(n, ['path', 'required', 'format'], 'env_file entry', ctx);
    // compose knows one format besides its default: raw (values as written).
    const raw = n.has('format') ? oneOf(n.child('format'), ctx, ['raw'] as const) === 'raw' : false;
    const path = str(n.child('path'), ctx);
    if (path === undefined) {
      ctx.problems.add(n.pos, `${n.label}: an env_file entry needs "path"`, hint(kind));
      return undefined;
    }
    return {
      path,
      required: bool(n.child('required'), ctx) ?? true,
      ...(raw && { raw }),
      node: n.child('path'),
    };
  }
  const path = str(n, ctx);
  return path === undefined ? undefined : { path, required: true, node: n };
}

/**
 * Reads a service's env_file or label_file files in order (a later file wins on the same
 * key). Problems in a file are reported at their line in that file; a missing required file
 * at the entry.
 */
export function normalizeKeyValueFiles(
  n: Node,
  ctx: LoadContext,
  kind: KeyValueFileKind,
): Record<string, string> | undefined {
  if (n.isNull) return undefined;
  const nodes = typeof n.value === 'string' ? [n] : n.isList() ? n.items() : undefined;
  if (!nodes) return typeError(n, ctx, 'a path or a list', hint(kind));
  const out: Record<string, string> = {};
  for (const e of nodes.flatMap((x) => entry(x, ctx, kind) ?? [])) {
    const abs = resolveHostPath(e.path, ctx.projectDir);
    if (!e.required && !existsSync(abs)) continue;
    try {
      Object.assign(
        out,
        readEnvFile(abs, e.node.pos, ctx.env, displayName(abs), kind, e.raw ? 'raw' : 'default'),
      );
    } catch (err) {
      if (!isUserError(err)) throw err;
      for (const p of err.problems) ctx.problems.list.push(p);
    }
  }
  return out;
}
