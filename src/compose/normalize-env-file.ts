import { existsSync } from 'node:fs';
import { relative, isAbsolute } from 'node:path';
import { isUserError } from '../common/errors.js';
import { readEnvFile } from './env-file.js';
import { checkKeys } from './keys.js';
import type { LoadContext, Node } from './node.js';
import { bool, str, typeError } from './read.js';
import { resolveHostPath } from './normalize-volumes.js';

const HINT = 'Write env_file: ./app.env, a list of paths, or a list of { path, required } entries.';

/** How a file is named in messages: relative to where stackcheck runs when it is below it. */
function displayName(abs: string): string {
  const rel = relative(process.cwd(), abs);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : abs;
}

function entry(
  n: Node,
  ctx: LoadContext,
): { path: string; required: boolean; node: Node } | undefined {
  if (n.isMap()) {
    checkKeys(n, ['path', 'required'], 'env_file entry', ctx);
    const path = str(n.child('path'), ctx);
    if (path === undefined) {
      ctx.problems.add(n.pos, `${n.label}: an env_file entry needs "path"`, HINT);
      return undefined;
    }
    return { path, required: bool(n.child('required'), ctx) ?? true, node: n.child('path') };
  }
  const path = str(n, ctx);
  return path === undefined ? undefined : { path, required: true, node: n };
}

/**
 * Reads the service's env files in order (a later file wins on the same key). Problems in
 * a file are reported at their line in that file; a missing required file at the entry.
 */
export function normalizeEnvFiles(n: Node, ctx: LoadContext): Record<string, string> | undefined {
  if (n.isNull) return undefined;
  const nodes = typeof n.value === 'string' ? [n] : n.isList() ? n.items() : undefined;
  if (!nodes) return typeError(n, ctx, 'a path or a list', HINT);
  const out: Record<string, string> = {};
  for (const e of nodes.flatMap((x) => entry(x, ctx) ?? [])) {
    const abs = resolveHostPath(e.path, ctx.projectDir);
    if (!e.required && !existsSync(abs)) continue;
    try {
      Object.assign(out, readEnvFile(abs, e.node.pos, ctx.env, displayName(abs)));
    } catch (err) {
      if (!isUserError(err)) throw err;
      for (const p of err.problems) ctx.problems.list.push(p);
    }
  }
  return out;
}
