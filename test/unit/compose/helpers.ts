import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';
import { isUserError } from '../../../src/common/errors.js';
import type { Env } from '../../../src/common/interpolate.js';
import { parseYaml } from '../../../src/common/yaml-source.js';
import { loadCompose, readComposeFile, type ComposeSource } from '../../../src/compose/load.js';
import type { ComposeProject } from '../../../src/compose/model.js';

export const FIXTURES = fileURLToPath(new URL('../../fixtures/compose/', import.meta.url));

/** A fixture file as a compose source, named by its path under the fixtures folder. */
export function fixture(rel: string): ComposeSource {
  return readComposeFile(resolve(FIXTURES, rel), rel);
}

/** Compose text as a source, as if it were the file `file` in the folder `dir`. */
export function source(text: string, file = 'compose.yaml', dir = '/proj'): ComposeSource {
  return { yaml: parseYaml(text, file), base: [], dir };
}

export function load(
  sources: ComposeSource | ComposeSource[],
  opts: { env?: Env; profiles?: string[] } = {},
): ComposeProject {
  return loadCompose({
    sources: Array.isArray(sources) ? sources : [sources],
    env: opts.env ?? {},
    profiles: opts.profiles ?? [],
  });
}

export function loadText(
  text: string,
  opts: { env?: Env; profiles?: string[] } = {},
): ComposeProject {
  return load(source(text), opts);
}

/** The problems of the UserError `fn` throws, as "file:line:col message" lines; fails if it does not throw one. */
export function problems(fn: () => unknown): string[] {
  try {
    fn();
  } catch (e) {
    if (!isUserError(e)) throw e;
    return e.problems.map(
      (p) => `${p.pos ? `${p.pos.file}:${p.pos.line}:${p.pos.column} ` : ''}${p.message}`,
    );
  }
  throw new Error('expected a UserError, but nothing was thrown');
}

/** The hints of the UserError `fn` throws, in the same order as problems(). */
export function hints(fn: () => unknown): string[] {
  try {
    fn();
  } catch (e) {
    if (isUserError(e)) return e.problems.map((p) => p.hint ?? '');
    throw e;
  }
  throw new Error('expected a UserError, but nothing was thrown');
}
