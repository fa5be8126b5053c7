import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { UserError } from '../common/errors.js';
import { readYamlFile, type YamlPath, type YamlSource } from '../common/yaml-source.js';

export interface ComposeSource {
  /** The parsed file (positions). */
  yaml: YamlSource;
  /** Where the compose mapping starts inside yaml.data: [] for a compose file, e.g. ['topologies', 'queen'] for inline services. */
  base: YamlPath;
  /** Absolute folder of the file. The first source's folder is the project folder that relative paths resolve against, as in compose. */
  dir: string;
  /** An inline manifest block: only services, networks and volumes are read; its other keys belong to the manifest. */
  inline?: boolean;
}

/** Reads a compose file for loadCompose; YAML syntax errors are reported with positions. */
export function readComposeFile(absPath: string, displayName: string): ComposeSource {
  const yaml = readYamlFile(absPath, displayName);
  // YamlSource keeps no tags, so the (small, already readable) file is read once more for them.
  rejectMergeTags(readFileSync(absPath, 'utf8'), displayName);
  return { yaml, base: [], dir: dirname(absPath) };
}

/**
 * compose's `!reset` and `!override` tags change how files merge; the YAML parser would
 * drop them silently and merge as usual, so they are refused instead.
 */
function rejectMergeTags(text: string, file: string): void {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter });
  const problems = doc.warnings
    .filter((w) => w.code === 'TAG_RESOLVE_FAILED')
    .map((w) => {
      const { line, col } = lineCounter.linePos(w.pos[0]);
      const tag = text.slice(w.pos[0], w.pos[1]);
      return {
        message: `YAML tag ${tag} is not supported by stackcheck`,
        pos: { file, line, column: col },
        hint: 'Remove the tag; to drop an inherited value, remove it from the base file (or split the base file).',
      };
    });
  if (problems.length > 0) throw new UserError(problems);
}
