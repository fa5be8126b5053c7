/**
 * Ignore rules: globs over snapshot keys. `*` matches within one `/`-separated segment, `**`
 * across segments (`files/**` is everything under files/), `?` one character. `KEY#field`
 * leaves out one field of the values whose key matches (`files/**#mode`), a whole key otherwise.
 */
export interface IgnoreRule {
  pattern: string;
  key: RegExp;
  field?: string;
}

export function compileIgnore(patterns: readonly string[]): IgnoreRule[] {
  return patterns.map((pattern) => {
    const hash = pattern.lastIndexOf('#');
    const glob = hash >= 0 ? pattern.slice(0, hash) : pattern;
    return {
      pattern,
      key: globToRegExp(glob.replace(/^\/+/, '')),
      field: hash >= 0 ? pattern.slice(hash + 1) : undefined,
    };
  });
}

export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i]!;
    if (ch === '*' && glob[i + 1] === '*') {
      // `a/**/b` also matches `a/b`; a trailing `/**` also matches the key itself.
      if (glob[i + 2] === '/') {
        re += '(?:.*/)?';
        i += 2;
      } else {
        re += '.*';
        i += 1;
      }
    } else if (ch === '*') re += '[^/]*';
    else if (ch === '?') re += '[^/]';
    else re += ch.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re.replace(/\/\.\*$/, '(?:/.*)?')}$`);
}

/** Whether the rules leave out this key whole, or else which of its fields they leave out. */
export function ignored(rules: readonly IgnoreRule[], key: string): true | Set<string> {
  const fields = new Set<string>();
  for (const r of rules) {
    if (!r.key.test(key)) continue;
    if (r.field === undefined) return true;
    fields.add(r.field);
  }
  return fields;
}
