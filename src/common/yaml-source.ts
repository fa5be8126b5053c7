import {
  isAlias,
  isCollection,
  isMap,
  isPair,
  isScalar,
  isSeq,
  parseDocument,
  visit,
  type Document,
  type Node,
  type YAMLError,
} from 'yaml';
import { isUserError, UserError, type Problem, type SourcePos } from './errors.js';
import { positions, readTextFile, unreadable, type At } from './text-file.js';

export type YamlPath = readonly (string | number)[];

/** compose's merge tags, which an override file puts on a value. */
export type MergeTag = '!reset' | '!override';

/** A parsed YAML file that still knows where each key and value stands. */
export interface YamlSource {
  file: string;
  data: unknown;
  /** Position of the value at `path`, or of the nearest ancestor that exists. */
  posOf(path: YamlPath): SourcePos;
  /** Position of the key at the end of `path` (where an "unknown key" error should point). */
  keyPosOf(path: YamlPath): SourcePos;
  /** compose's `!reset` / `!override` on the value at `path`; only read with `mergeTags`. */
  tagOf(path: YamlPath): MergeTag | undefined;
  /** Every path that carries a merge tag, in file order (empty without `mergeTags`). */
  taggedPaths(): YamlPath[];
}

export interface YamlOptions {
  /** Accept compose's `!reset` and `!override` tags (compose files); elsewhere they are refused. */
  mergeTags?: boolean;
}

/**
 * Reads and parses a YAML file. `namedAt` is where the user named it (a manifest's `compose:`
 * entry): a file that is missing or is a folder is reported there, since it has no lines.
 */
export function readYamlFile(
  file: string,
  displayName = file,
  namedAt?: SourcePos,
  options: YamlOptions = {},
): YamlSource {
  let text: string;
  try {
    text = readTextFile(file, displayName);
  } catch (e) {
    if (isUserError(e)) throw e;
    throw new UserError({
      message: `${displayName}: ${unreadable(e)}`,
      ...(namedAt && { pos: namedAt }),
      hint: 'Check the path; relative paths are resolved from the file that names them.',
    });
  }
  return parseYaml(text, displayName, options);
}

/** What the user can do about each parse error the `yaml` package reports, by its code. */
const SYNTAX_HINTS: Partial<Record<YAMLError['code'], string>> = {
  DUPLICATE_KEY: 'A key may appear once in a mapping: remove one, or merge their values.',
  MULTIPLE_DOCS:
    'stackcheck reads one YAML document per file: remove the "---" line and what follows it.',
  TAB_AS_INDENT: 'Indent with spaces; YAML does not allow tabs there.',
  BAD_INDENT: 'Align the keys of one mapping (or the items of one list) at the same column.',
  MISSING_CHAR: 'Close the bracket or quote that starts earlier.',
  BAD_ALIAS: 'Write an alias as *name, where &name is set on a value above it.',
  MULTIPLE_ANCHORS: 'Give the value one anchor (&name).',
  BAD_DQ_ESCAPE: 'In double quotes, write a backslash as \\\\; or use single quotes.',
};
/** The package's wording where it speaks to programmers ("please use YAML.parseAllDocuments()"). */
const SYNTAX_MESSAGES: Partial<Record<YAMLError['code'], string>> = {
  MULTIPLE_DOCS: 'a second YAML document starts here (after ---)',
};
const SYNTAX_HINT = 'Fix the YAML syntax here (indentation, quoting, a missing colon).';

/** compose's merge tags: where they are not read, the parser would drop them and merge as usual, so they are refused. */
const COMPOSE_TAGS = new Set(['!reset', '!override']);
/** The same tags, read on any kind of value (the value itself parses as without the tag). */
const MERGE_TAGS = [...COMPOSE_TAGS].flatMap((tag) => [
  { tag, collection: 'map' as const, resolve: (v: unknown) => v },
  { tag, collection: 'seq' as const, resolve: (v: unknown) => v },
  // A reset scalar stands for no value, whatever is written after the tag (`!reset null`).
  { tag, resolve: (v: string) => (tag === '!reset' ? null : v) },
]);

/** The path of every value that carries a merge tag, as JSON text of the path. */
function mergeTags(doc: Document): Map<string, MergeTag> {
  const out = new Map<string, MergeTag>();
  const walk = (n: unknown, path: (string | number)[]): void => {
    if (isScalar(n) || isMap(n) || isSeq(n)) {
      if (n.tag && COMPOSE_TAGS.has(n.tag)) out.set(JSON.stringify(path), n.tag as MergeTag);
    }
    if (isMap(n)) {
      for (const p of n.items)
        if (isPair(p) && isScalar(p.key)) walk(p.value, [...path, String(p.key.value)]);
    } else if (isSeq(n)) {
      n.items.forEach((item, i) => walk(item, [...path, i]));
    }
  };
  walk(doc.contents, []);
  return out;
}

/**
 * Parses YAML text into plain data and positions. Every problem the `yaml` package can raise,
 * while parsing or while building values (an alias without its anchor, a merge key with
 * something other than mappings, an alias inside its own anchor's value, a key that is a
 * mapping, a tag), is a UserError at its line and column: none may escape as an internal error.
 */
export function parseYaml(text: string, file: string, options: YamlOptions = {}): YamlSource {
  // One schema whatever `%YAML 1.1` says, and no YAML 1.1 types (!!binary, !!set, dates):
  // values are strings, numbers, booleans, null, lists and mappings, and nothing else.
  const doc = parseDocument(text, {
    prettyErrors: false,
    uniqueKeys: true,
    merge: true,
    schema: 'core',
    resolveKnownTags: false,
    ...(options.mergeTags && { customTags: MERGE_TAGS }),
  });
  const at = positions(text, file);
  if (doc.errors.length > 0) {
    // After the first syntax error the parser reports every token it cannot place (often
    // hundreds); they follow from the first, which is the one to fix.
    const [e] = doc.errors as [YAMLError];
    const more = doc.errors.length - 1;
    throw new UserError({
      message: `YAML syntax: ${SYNTAX_MESSAGES[e.code] ?? e.message.split('\n')[0]}`,
      pos: at(e.pos[0]),
      hint:
        (SYNTAX_HINTS[e.code] ?? SYNTAX_HINT) +
        (more
          ? ` (${more} more YAML error${more > 1 ? 's' : ''} after this one, most caused by it.)`
          : ''),
    });
  }
  const fileStart: SourcePos = { file, line: 1, column: 1 };
  if (doc.contents === null) {
    throw new UserError({
      message: 'the file is empty (or holds only comments)',
      pos: fileStart,
      hint: 'Write its content, or stop naming the file.',
    });
  }
  const problems = [...tagProblems(doc, text, at), ...structureProblems(doc, at)];
  if (problems.length > 0) throw new UserError(problems);
  const data = toPlainData(doc, at);

  const walk = (path: YamlPath): { node: Node | null; keyNode: Node | null } => {
    let node: Node | null = (doc.contents as Node | null) ?? null;
    let keyNode: Node | null = null;
    for (const seg of path) {
      if (node && isMap(node)) {
        const pair = node.items.find(
          (p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg),
        );
        if (!pair) return { node, keyNode: null };
        keyNode = pair.key as Node;
        node = (pair.value as Node | null) ?? keyNode;
      } else if (node && isSeq(node) && typeof seg === 'number') {
        const item = node.items[seg] as Node | undefined;
        if (!item) return { node, keyNode: null };
        keyNode = item;
        node = item;
      } else {
        return { node, keyNode: null };
      }
    }
    return { node, keyNode };
  };
  const posOfNode = (n: Node | null): SourcePos => (n?.range ? at(n.range[0]) : fileStart);

  const tags = options.mergeTags ? mergeTags(doc) : new Map<string, MergeTag>();
  return {
    file,
    data,
    tagOf: (path) => tags.get(JSON.stringify(path)),
    taggedPaths: () => [...tags.keys()].map((k) => JSON.parse(k) as YamlPath),
    posOf: (path) => posOfNode(walk(path).node),
    keyPosOf: (path) => {
      const { node, keyNode } = walk(path);
      return posOfNode(keyNode ?? node);
    },
  };
}

/** Tags outside YAML's core schema (`!reset`, `!!binary`, `!custom`): dropping them silently would change meaning. */
function tagProblems(doc: Document, text: string, at: At): Problem[] {
  return doc.warnings
    .filter((w) => w.code === 'TAG_RESOLVE_FAILED')
    .map((w) => {
      const tag = text.slice(w.pos[0], w.pos[1]);
      return {
        message: `YAML tag ${tag} is not supported by stackcheck`,
        pos: at(w.pos[0]),
        hint: COMPOSE_TAGS.has(tag)
          ? 'Remove the tag; to drop an inherited value, remove it from the base file (or split the base file).'
          : 'Remove the tag: stackcheck reads plain strings, numbers, booleans, lists and mappings.',
      };
    });
}

const MERGE_HINT =
  'Write <<: *name, where &name is set on a mapping above (e.g. x-defaults: &defaults), or a list of such aliases.';

/** What the `yaml` package throws about only when it builds values, found here with positions. */
function structureProblems(doc: Document, at: At): Problem[] {
  const problems: Problem[] = [];
  const nodeAt = (n: Node | null | undefined, fallback: number): SourcePos =>
    at(n?.range?.[0] ?? fallback);
  const resolve = (n: unknown): unknown => (isAlias(n) ? n.resolve(doc) : n);

  visit(doc, {
    Alias(_key, alias, path) {
      const target = alias.resolve(doc);
      if (!target) {
        problems.push({
          message: `alias *${alias.source} has no anchor &${alias.source} before it`,
          pos: nodeAt(alias, 0),
          hint: 'Set the anchor (&name) on a value above this line: an alias repeats a value written earlier.',
        });
      } else if (path.includes(target)) {
        problems.push({
          message: `alias *${alias.source} is inside the value that &${alias.source} names, so it would contain itself`,
          pos: nodeAt(alias, 0),
          hint: 'Point the alias at another value, or copy what you need instead.',
        });
      }
    },
    Pair(_key, pair) {
      const key = pair.key as Node | null;
      if (isCollection(key) || (isAlias(key) && isCollection(resolve(key)))) {
        problems.push({
          message: 'a key must be a single value, not a mapping or a list',
          pos: nodeAt(key, 0),
          hint: 'Quote the key if it is text; a "? " line starts a complex key, which stackcheck does not read.',
        });
      }
      if (!(isScalar(key) && typeof key.value === 'symbol')) return;
      // A merge key (`<<`): the value must be a mapping or an alias of one, or a list of them.
      const value = pair.value as Node | null;
      const source = resolve(value);
      if (source === undefined) return; // an alias without its anchor: reported above
      const items = isSeq(source) ? source.items : [source];
      const bad = items.find((i) => !isMap(resolve(i)) && !(isAlias(i) && !i.resolve(doc)));
      if (bad !== undefined) {
        problems.push({
          message: `merge key << takes a mapping, an alias of one (*name) or a list of them, not ${describeNode(resolve(bad))}`,
          pos: nodeAt(isSeq(value) ? (bad as Node) : value, key.range?.[0] ?? 0),
          hint: MERGE_HINT,
        });
      }
    },
  });
  return problems;
}

function describeNode(n: unknown): string {
  if (isSeq(n)) return 'a list';
  if (!isScalar(n) || n.value === null) return 'an empty value';
  return typeof n.value === 'string'
    ? `the text "${n.value}"`
    : `the ${typeof n.value} ${String(n.value)}`;
}

/**
 * The document as plain data. The checks above leave toJS nothing to reject but an alias bomb
 * (anchors that expand to millions of values); whatever it throws is still the user's file.
 */
function toPlainData(doc: Document, at: At): unknown {
  try {
    return doc.toJS({ maxAliasCount: 1000 }) ?? {};
  } catch (e) {
    let firstAlias: Node | undefined;
    visit(doc, {
      Alias(_key, alias) {
        firstAlias = alias;
        return visit.BREAK;
      },
    });
    throw new UserError({
      message: `YAML: ${(e as Error).message}`,
      pos: at(firstAlias?.range?.[0] ?? 0),
      hint: 'Repeat values with fewer nested aliases, or write them out.',
    });
  }
}
