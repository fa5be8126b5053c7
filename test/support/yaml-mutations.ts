import fc from 'fast-check';

/*
 * Mutations of a valid YAML file, the ways a person (or an editor, or a copy-paste) breaks one:
 * truncation, a stray character, a duplicated or lost line, indentation, odd values and
 * numbers, tags, anchors, aliases and merge keys, a BOM, directives, several documents,
 * bytes that are not UTF-8, an empty file. Each mutation is plain data, so fast-check can
 * shrink a failing list and print it; `applyMutations` turns the list into the file's bytes.
 */

/** Stands for a byte that is not UTF-8; `toBytes` writes it as 0xFF. */
const BAD_BYTE = '\uE000';

const CHARS = [
  '\t',
  '[',
  ']',
  '{',
  '}',
  ':',
  '-',
  '&',
  '*',
  '!',
  '|',
  '>',
  '"',
  "'",
  '#',
  '%',
  '@',
  '`',
  ',',
  '?',
  '\0',
  '\uFEFF',
  '\r',
  ' ',
  '\n',
  '\\',
  '<<: ',
  BAD_BYTE,
];

const ODD_VALUES = [
  '*a',
  '&a',
  '&a x',
  '*nope',
  '<<',
  '~',
  'null',
  '[]',
  '{}',
  '[',
  '{',
  '"',
  "'x",
  '|',
  '>-',
  '!!binary aGVsbG8=',
  '!!set {a, b}',
  '!!omap [a: 1]',
  '!!timestamp 2001-12-14',
  '!reset',
  '!override x',
  '!!str 5',
  '!!int x',
  '!!map {}',
  '!!seq []',
  '!custom x',
  '2001-12-14',
  '1e999',
  '-1e999',
  '.nan',
  '.inf',
  '0x1F',
  '0o17',
  '-0',
  '1_000',
  '99999999999999999999',
  '-1',
  '0',
  '65536',
  '0.5',
  'true',
  'yes',
  'off',
  '? a',
  '- x',
  'a: b',
  '@x',
  '`x`',
  '%x',
  `"${'x'.repeat(2000)}"`,
  '[a, [b, {c: *a}]]',
  '{a: 1, a: 2}',
  '*a ',
  '&a [*a]',
];

const TAGS = [
  '!!binary',
  '!!set',
  '!!omap',
  '!!pairs',
  '!!timestamp',
  '!reset',
  '!override',
  '!!str',
  '!!int',
  '!!float',
  '!!bool',
  '!!null',
  '!!map',
  '!!seq',
  '!custom',
  '!<tag:x>',
  '!e!x',
];

const MERGE_SOURCES = [
  '*a',
  '*b',
  '5',
  '[1, 2]',
  '{x: 1}',
  '[*a]',
  '[*a, *b]',
  '"text"',
  '~',
  '[{x: 1}]',
  '[[x]]',
  '*a *b',
  '[*a, 5]',
];

const WHOLE_FILE = [
  'bom',
  'yaml11',
  'yaml13',
  'second-doc',
  'doc-end',
  'empty',
  'comment-only',
  'crlf',
  'cr',
  'scalar',
  'list',
  'tag-directive',
  'anchor-only',
] as const;

export type Mutation =
  | { op: 'truncate'; at: number }
  | { op: 'insert'; at: number; text: string }
  | { op: 'delete'; at: number; len: number }
  | { op: 'dupLine'; line: number }
  | { op: 'dropLine'; line: number }
  | { op: 'swapLines'; a: number; b: number }
  | { op: 'indent'; line: number; by: number }
  | { op: 'value'; line: number; value: string }
  | { op: 'number'; nth: number; value: string }
  | { op: 'tag'; line: number; tag: string }
  | { op: 'alias'; anchor: number; alias: number; name: 'a' | 'b' }
  | { op: 'merge'; line: number; source: string; deeper: boolean }
  | { op: 'file'; what: (typeof WHOLE_FILE)[number] };

const pos = fc.nat({ max: 100_000 });

export const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('truncate' as const), at: pos }),
  fc.record({ op: fc.constant('insert' as const), at: pos, text: fc.constantFrom(...CHARS) }),
  fc.record({ op: fc.constant('delete' as const), at: pos, len: fc.integer({ min: 1, max: 12 }) }),
  fc.record({ op: fc.constant('dupLine' as const), line: pos }),
  fc.record({ op: fc.constant('dropLine' as const), line: pos }),
  fc.record({ op: fc.constant('swapLines' as const), a: pos, b: pos }),
  fc.record({ op: fc.constant('indent' as const), line: pos, by: fc.integer({ min: -4, max: 4 }) }),
  fc.record({
    op: fc.constant('value' as const),
    line: pos,
    value: fc.constantFrom(...ODD_VALUES),
  }),
  fc.record({
    op: fc.constant('number' as const),
    nth: pos,
    value: fc.constantFrom(...ODD_VALUES.filter((v) => /^[-.\d]/.test(v))),
  }),
  fc.record({ op: fc.constant('tag' as const), line: pos, tag: fc.constantFrom(...TAGS) }),
  fc.record({
    op: fc.constant('alias' as const),
    anchor: pos,
    alias: pos,
    name: fc.constantFrom('a' as const, 'b' as const),
  }),
  fc.record({
    op: fc.constant('merge' as const),
    line: pos,
    source: fc.constantFrom(...MERGE_SOURCES),
    deeper: fc.boolean(),
  }),
  fc.record({ op: fc.constant('file' as const), what: fc.constantFrom(...WHOLE_FILE) }),
);

/** One to three mutations, applied in order. */
export const mutationsArb = fc.array(mutationArb, { minLength: 1, maxLength: 3 });

/** Lines that hold `key: value` (or `- key: value`), where values can be replaced or tagged. */
const KEY_VALUE = /^(\s*(?:-\s+)?[^\s#:][^:#]*:)(\s+)(.*)$/;
/** Lines that open a block mapping (`key:` and nothing after it). */
const KEY_OPENS = /^(\s*)(?:-\s+)?[^\s#:][^:#]*:\s*$/;

function pick<T>(list: T[], n: number): T | undefined {
  return list.length ? list[n % list.length] : undefined;
}

function onLines(text: string, f: (lines: string[]) => void): string {
  const lines = text.split('\n');
  f(lines);
  return lines.join('\n');
}

function indexesWhere(lines: string[], re: RegExp): number[] {
  return lines.flatMap((l, i) => (re.test(l) ? [i] : []));
}

export function applyMutation(text: string, m: Mutation): string {
  const at = (n: number) => n % (text.length + 1);
  switch (m.op) {
    case 'truncate':
      return text.slice(0, at(m.at));
    case 'insert':
      return text.slice(0, at(m.at)) + m.text + text.slice(at(m.at));
    case 'delete':
      return text.slice(0, at(m.at)) + text.slice(at(m.at) + m.len);
    case 'dupLine':
      return onLines(text, (l) => {
        const i = m.line % l.length;
        l.splice(i, 0, l[i]!);
      });
    case 'dropLine':
      return onLines(text, (l) => void l.splice(m.line % l.length, 1));
    case 'swapLines':
      return onLines(text, (l) => {
        const [a, b] = [m.a % l.length, m.b % l.length];
        [l[a], l[b]] = [l[b]!, l[a]!];
      });
    case 'indent':
      return onLines(text, (l) => {
        const i = m.line % l.length;
        l[i] =
          m.by >= 0 ? ' '.repeat(m.by) + l[i] : l[i]!.replace(new RegExp(`^ {0,${-m.by}}`), '');
      });
    case 'value':
    case 'tag':
      return onLines(text, (l) => {
        const i = pick(indexesWhere(l, KEY_VALUE), m.line);
        if (i === undefined) return;
        l[i] = l[i]!.replace(KEY_VALUE, (_, k: string, sp: string, v: string) =>
          m.op === 'value' ? `${k}${sp}${m.value}` : `${k}${sp}${m.tag} ${v}`,
        );
      });
    case 'number': {
      const runs = [...text.matchAll(/\d+/g)];
      const r = pick(runs, m.nth);
      return r ? text.slice(0, r.index) + m.value + text.slice(r.index + r[0].length) : text;
    }
    case 'alias':
      // The anchor on one value and the alias in place of another: before it (unresolved),
      // inside it (a cycle) or after it (valid YAML, often the wrong type for the key).
      return onLines(text, (l) => {
        const values = indexesWhere(l, KEY_VALUE);
        const opens = indexesWhere(l, KEY_OPENS);
        const a = pick([...values, ...opens], m.anchor);
        const b = pick(values, m.alias);
        if (a === undefined || b === undefined) return;
        l[b] = l[b]!.replace(KEY_VALUE, (_, k: string, sp: string) => `${k}${sp}*${m.name}`);
        l[a] = KEY_OPENS.test(l[a]!)
          ? `${l[a]!.trimEnd()} &${m.name}`
          : l[a]!.replace(
              KEY_VALUE,
              (_, k: string, sp: string, v: string) => `${k}${sp}&${m.name} ${v}`,
            );
      });
    case 'merge':
      // `<<:` as the first key of a block mapping (or of the one around it).
      return onLines(text, (l) => {
        const i = pick(indexesWhere(l, KEY_OPENS), m.line);
        if (i === undefined) return;
        const next = l[i + 1] ?? '';
        const indent = m.deeper
          ? next.length - next.trimStart().length
          : l[i]!.match(/^\s*/)![0].length;
        l.splice(i + 1, 0, `${' '.repeat(indent)}<<: ${m.source}`);
      });
    case 'file':
      return wholeFile(text, m.what);
  }
}

function wholeFile(text: string, what: (typeof WHOLE_FILE)[number]): string {
  switch (what) {
    case 'bom':
      return `\uFEFF${text}`;
    case 'yaml11':
      return `%YAML 1.1\n---\n${text}`;
    case 'yaml13':
      return `%YAML 1.3\n---\n${text}`;
    case 'second-doc':
      return `${text}\n---\nextra: 1\n`;
    case 'doc-end':
      return `${text}\n...\n`;
    case 'empty':
      return '';
    case 'comment-only':
      return '# nothing here\n';
    case 'crlf':
      return text.replaceAll('\n', '\r\n');
    case 'cr':
      return text.replaceAll('\n', '\r');
    case 'scalar':
      return 'just a string\n';
    case 'list':
      return `- ${text.split('\n')[0]}\n`;
    case 'tag-directive':
      return `%TAG !e! tag:example.com,2000:\n---\n${text}`;
    case 'anchor-only':
      return '&a\n';
  }
}

export function applyMutations(text: string, ms: Mutation[]): string {
  return ms.reduce(applyMutation, text);
}

/** The file's bytes: UTF-8, with each placeholder written as a byte that is not UTF-8. */
export function toBytes(text: string): Buffer {
  const parts = text.split(BAD_BYTE).map((p) => Buffer.from(p, 'utf8'));
  return Buffer.concat(parts.flatMap((p, i) => (i ? [Buffer.from([0xff]), p] : [p])));
}
