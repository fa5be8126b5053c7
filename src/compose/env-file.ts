import { isUserError, UserError, type Problem, type SourcePos } from '../common/errors.js';
import { interpolateString, type Env } from '../common/interpolate.js';
import { readTextFile, unreadable } from '../common/text-file.js';

const KEY = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

/** The two compose keys that read KEY=value files, and how messages name their files. */
export interface KeyValueFileKind {
  key: 'env_file' | 'label_file';
  what: string;
}
export const ENV_FILE: KeyValueFileKind = { key: 'env_file', what: 'env file' };
export const LABEL_FILE: KeyValueFileKind = { key: 'label_file', what: 'label file' };

const ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', '\\': '\\', '"': '"', $: '$' };
const HINT = 'Write each line as KEY=value; quote values that contain spaces or "#".';

/**
 * Parses a `.env` file (or a label file, which has the same syntax; `what` names it in
 * messages) with compose's rules: `KEY=value` lines, an optional `export `
 * prefix, `#` comments (inline only after whitespace when unquoted), single quotes literal
 * (`\'` escapes a quote), double quotes with `\n \r \t \\ \" \$` escapes, quoted values
 * spanning lines, and `${VAR}` interpolation in unquoted and double-quoted values (from
 * `env`, then from keys defined earlier in the file). A bare `KEY` takes its value from
 * `env` and is left out when unset. Every malformed line is reported, with its position.
 */
export function parseEnvFile(
  text: string,
  file: string,
  env: Env = {},
  what = ENV_FILE.what,
): Record<string, string> {
  const lines = text.split(/\r?\n/);
  const out: Record<string, string> = {};
  const problems: Problem[] = [];
  const at = (line: number, column = 1): SourcePos => ({ file, line: line + 1, column });

  for (let ln = 0; ln < lines.length; ln++) {
    const start = ln;
    const raw = lines[ln]!;
    const body = raw.trimStart();
    if (body === '' || body.startsWith('#')) continue;
    const indent = raw.length - body.length;
    const decl = body.startsWith('export ') ? body.slice(7).trimStart() : body;
    const declCol = indent + (body.length - decl.length) + 1;
    const eq = decl.indexOf('=');
    const key = (eq < 0 ? decl.replace(/\s+#.*$/, '') : decl.slice(0, eq)).trim();
    if (!KEY.test(key)) {
      problems.push({
        message: `malformed line in ${what}: ${raw.trim()}`,
        pos: at(ln, declCol),
        hint: HINT,
      });
      continue;
    }
    if (eq < 0) {
      const fromEnv = env[key];
      if (fromEnv !== undefined) out[key] = fromEnv;
      continue;
    }

    let rest = decl.slice(eq + 1).trimStart();
    const valueCol = declCol + decl.length - rest.length;
    const quote = rest[0];
    let value: string;
    let interpolate = true;
    if (quote === '"' || quote === "'") {
      // A quoted value may continue on the following lines until its closing quote.
      let content = rest.slice(1);
      let close = findClose(content, quote);
      while (close < 0 && ln + 1 < lines.length) {
        ln++;
        content += '\n' + lines[ln]!;
        close = findClose(content, quote);
      }
      if (close < 0) {
        problems.push({
          message: `unterminated ${quote} quote in ${what}`,
          pos: at(start, valueCol),
          hint: 'Close the quote.',
        });
        continue;
      }
      const after = content.slice(close + 1);
      if (after.trim() !== '' && !/^\s+#/.test(after)) {
        problems.push({
          message: `unexpected text after the closing quote: ${after.trim()}`,
          pos: at(ln, 1),
          hint: 'Put an inline comment after a space and "#", or quote the whole value.',
        });
        continue;
      }
      const inner = content.slice(0, close);
      if (quote === "'") {
        value = inner.replace(/\\'/g, "'");
        interpolate = false;
      } else {
        value = inner.replace(/\\(.)/gs, (m, c: string) => ESCAPES[c] ?? m);
      }
    } else {
      rest = rest.replace(/\s+#.*$/, '');
      value = rest.trimEnd();
    }

    if (interpolate && value.includes('$')) {
      const lookup: Env = { ...out, ...env };
      try {
        value = interpolateString(value, lookup, (severity, message) => {
          if (severity === 'error') {
            problems.push({
              message: `${key}: ${message}`,
              pos: at(start, valueCol),
              hint: `Set the variable, or give ${key} a literal value.`,
            });
          }
        });
      } catch (e) {
        problems.push({
          message: `${key}: ${(e as Error).message}`,
          pos: at(start, valueCol),
          hint: 'Write a literal "$" as "$$".',
        });
        continue;
      }
    }
    out[key] = value;
  }
  if (problems.length > 0) throw new UserError(problems);
  return out;
}

/** Index of the closing quote, skipping backslash-escaped quotes. */
function findClose(s: string, quote: string): number {
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '\\') i++;
    else if (s[i] === quote) return i;
  }
  return -1;
}

/**
 * Reads and parses an env (or label) file. `pos` is where the file was named (an `env_file:`
 * entry), so a missing file is reported there; `displayName` is how the file is named in messages.
 */
export function readEnvFile(
  absPath: string,
  pos?: SourcePos,
  env: Env = {},
  displayName = absPath,
  kind: KeyValueFileKind = ENV_FILE,
  format: 'default' | 'raw' = 'default',
): Record<string, string> {
  let text: string;
  try {
    text = readTextFile(absPath, displayName);
  } catch (e) {
    if (isUserError(e)) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError({
      message:
        code === 'ENOENT'
          ? `${kind.what} not found: ${displayName}`
          : `${kind.what} ${displayName}: ${unreadable(e)}`,
      ...(pos ? { pos } : {}),
      hint: `Check the path: relative ${kind.key} paths are resolved from the compose project folder.`,
    });
  }
  return format === 'raw'
    ? parseRawEnvFile(text, displayName)
    : parseEnvFile(text, displayName, env, kind.what);
}

/**
 * compose's `format: raw` env file: KEY=VALUE lines taken as written — no quotes removed, no
 * interpolation, no `export`; blank lines, `#` comments and lines without "=" are skipped.
 */
export function parseRawEnvFile(text: string, file: string): Record<string, string> {
  const out: Record<string, string> = {};
  const problems: Problem[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === '' || line.trimStart().startsWith('#')) return;
    const eq = line.indexOf('=');
    if (eq < 0) return;
    const key = line.slice(0, eq);
    if (/\s/.test(key) || key === '') {
      problems.push({
        message: `variable "${key}" contains whitespace (or is empty)`,
        pos: { file, line: i + 1, column: 1 },
        hint: 'In a raw env file, write KEY=value with nothing around the name.',
      });
      return;
    }
    out[key] = line.slice(eq + 1);
  });
  if (problems.length > 0) throw new UserError(problems);
  return out;
}
