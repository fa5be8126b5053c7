import { readFileSync } from 'node:fs';
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
import { UserError, type SourcePos } from './errors.js';

export type YamlPath = readonly (string | number)[];

/** A parsed YAML file that still knows where each key and value stands. */
export interface YamlSource {
  file: string;
  data: unknown;
  /** Position of the value at `path`, or of the nearest ancestor that exists. */
  posOf(path: YamlPath): SourcePos;
  /** Position of the key at the end of `path` (where an "unknown key" error should point). */
  keyPosOf(path: YamlPath): SourcePos;
}

export function readYamlFile(file: string, displayName = file): YamlSource {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError({
      message:
        code === 'ENOENT'
          ? `${displayName}: file not found`
          : `${displayName}: cannot read (${code ?? e})`,
      hint: 'Check the path; relative paths are resolved from the file that names them.',
    });
  }
  return parseYaml(text, displayName);
}

export function parseYaml(text: string, file: string): YamlSource {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, {
    lineCounter,
    prettyErrors: false,
    uniqueKeys: true,
    merge: true,
  });
  const at = (offset: number): SourcePos => {
    const { line, col } = lineCounter.linePos(offset);
    return { file, line, column: col };
  };
  if (doc.errors.length > 0) {
    throw new UserError(
      doc.errors.map((e) => ({
        message: `YAML syntax: ${e.message.split('\n')[0]}`,
        pos: at(e.pos[0]),
        hint: 'Fix the YAML syntax here (indentation, quoting, a missing colon).',
      })),
    );
  }
  const fileStart: SourcePos = { file, line: 1, column: 1 };

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

  return {
    file,
    data: doc.toJS({ maxAliasCount: 1000 }) ?? {},
    posOf: (path) => posOfNode(walk(path).node),
    keyPosOf: (path) => {
      const { node, keyNode } = walk(path);
      return posOfNode(keyNode ?? node);
    },
  };
}
