import { homedir } from 'node:os';
import { isAbsolute, join, relative, resolve } from 'node:path';

/** A host path as compose resolves it: `~` is the home folder, relative paths start at `dir`. */
export function resolveHostPath(p: string, dir: string): string {
  if (p === '~' || p.startsWith('~/')) return join(homedir(), p.slice(1));
  return isAbsolute(p) ? resolve(p) : resolve(dir, p);
}

/** How a file is named in messages: relative to where stackcheck runs when it is below it. */
export function displayName(abs: string): string {
  const rel = relative(process.cwd(), abs);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : abs;
}
