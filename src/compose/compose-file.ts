import { dirname } from 'node:path';
import type { SourcePos } from '../common/errors.js';
import { readYamlFile, type YamlPath, type YamlSource } from '../common/yaml-source.js';

export interface ComposeSource {
  /** The parsed file (positions). */
  yaml: YamlSource;
  /** Where the compose mapping starts inside yaml.data: [] for a compose file, e.g. ['topologies', 'queen'] for inline services. */
  base: YamlPath;
  /** Absolute folder of the file. The first source's folder is the project folder that relative paths resolve against, as in compose. */
  dir: string;
  /** Absolute path of the file (not for inline blocks): what include cycles are told apart by. */
  path?: string;
  /** An inline manifest block: only services, networks and volumes are read; its other keys belong to the manifest. */
  inline?: boolean;
}

/**
 * Reads a compose file for loadCompose. Every YAML problem (syntax, aliases, merge keys,
 * compose's `!reset`/`!override` tags) is reported at its position by readYamlFile; a file
 * that is missing or is a folder is reported at `namedAt`, where the user named it.
 */
export function readComposeFile(
  absPath: string,
  displayName: string,
  namedAt?: SourcePos,
): ComposeSource {
  return {
    yaml: readYamlFile(absPath, displayName, namedAt, { mergeTags: true }),
    base: [],
    dir: dirname(absPath),
    path: absPath,
  };
}
