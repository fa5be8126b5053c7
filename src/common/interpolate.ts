import type { YamlPath } from './yaml-source.js';

export type Env = Readonly<Record<string, string | undefined>>;

export interface InterpolationIssue {
  path: YamlPath;
  message: string;
  /** `error` for `${VAR:?message}`, `warning` for a variable that is unset and has no default. */
  severity: 'error' | 'warning';
}

const NAME = /[A-Za-z_][A-Za-z0-9_]*/y;

/**
 * Compose's interpolation: `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`,
 * `${VAR:?message}`, `${VAR?message}`, `${VAR:+alt}`, `${VAR+alt}`, `$$` for a literal `$`,
 * and nesting inside the default (`${A:-${B}}`). An unset variable with no default becomes
 * the empty string and a warning, as in compose.
 */
export function interpolateString(
  text: string,
  env: Env,
  report: (severity: 'error' | 'warning', message: string) => void,
): string {
  let i = 0;
  const lookup = (name: string): string | undefined => env[name];

  // Reads until the closing brace of the current ${...}, interpolating nested expressions.
  const readWord = (): string => {
    let out = '';
    let depth = 0;
    while (i < text.length) {
      const ch = text[i]!;
      if (ch === '}' && depth === 0) return out;
      if (ch === '$') {
        out += expand();
        continue;
      }
      if (ch === '{') depth++;
      if (ch === '}') depth--;
      out += ch;
      i++;
    }
    throw new Error(`unterminated "\${" in "${text}"`);
  };

  const expand = (): string => {
    // text[i] === '$'
    const next = text[i + 1];
    if (next === '$') {
      i += 2;
      return '$';
    }
    if (next === '{') {
      i += 2;
      NAME.lastIndex = i;
      const m = NAME.exec(text);
      if (!m)
        throw new Error(
          `invalid interpolation "${text.slice(i - 2)}": a variable name must follow "\${"`,
        );
      const name = m[0];
      i += name.length;
      const value = lookup(name);
      const op = /^(:-|-|:\?|\?|:\+|\+)/.exec(text.slice(i))?.[0];
      if (!op) {
        if (text[i] !== '}')
          throw new Error(`invalid interpolation "\${${name}${text.slice(i, i + 10)}…"`);
        i++;
        if (value === undefined)
          report('warning', `variable ${name} is not set; using an empty string`);
        return value ?? '';
      }
      i += op.length;
      const word = readWord();
      i++; // closing brace
      const unsetOrEmpty = value === undefined || (op.startsWith(':') && value === '');
      switch (op) {
        case ':-':
        case '-':
          return unsetOrEmpty ? word : value!;
        case ':?':
        case '?':
          if (unsetOrEmpty) report('error', word || `variable ${name} is required`);
          return value ?? '';
        default: // ':+' and '+'
          return unsetOrEmpty ? '' : word;
      }
    }
    NAME.lastIndex = i + 1;
    const m = NAME.exec(text);
    if (!m) {
      i++;
      return '$';
    }
    i += 1 + m[0].length;
    const value = lookup(m[0]);
    if (value === undefined)
      report('warning', `variable ${m[0]} is not set; using an empty string`);
    return value ?? '';
  };

  let out = '';
  while (i < text.length) {
    const j = text.indexOf('$', i);
    if (j < 0) {
      out += text.slice(i);
      break;
    }
    out += text.slice(i, j);
    i = j;
    out += expand();
  }
  return out;
}

/**
 * Interpolates every string value of a parsed YAML tree (keys are left alone, as compose
 * does). `x-` extension blocks are interpolated too; they are plain data.
 */
export function interpolateTree(
  data: unknown,
  env: Env,
): { value: unknown; issues: InterpolationIssue[] } {
  const issues: InterpolationIssue[] = [];
  const visit = (v: unknown, path: (string | number)[]): unknown => {
    if (typeof v === 'string') {
      try {
        return interpolateString(v, env, (severity, message) =>
          issues.push({ path, message, severity }),
        );
      } catch (e) {
        issues.push({ path, message: (e as Error).message, severity: 'error' });
        return v;
      }
    }
    if (Array.isArray(v)) return v.map((x, k) => visit(x, [...path, k]));
    if (v && typeof v === 'object') {
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, visit(x, [...path, k])]));
    }
    return v;
  };
  return { value: visit(data, []), issues };
}
