import { existsSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { isUserError } from '../common/errors.js';
import type { Env } from '../common/interpolate.js';
import { readComposeFile, type ComposeSource } from './compose-file.js';
import { readEnvFile } from './env-file.js';
import type { Section, SourceLayer } from './layer.js';
import { mergeSources, type MergedProject } from './merge.js';
import type { LoadContext, Node } from './node.js';
import { displayName, resolveHostPath } from './paths.js';
import { str, strList, typeError } from './read.js';
import { checkKeys } from './keys.js';

/*
 * compose's top-level `include` (compose-spec "include", compose 2.20+): each entry is a
 * compose application of its own, loaded as compose loads one (its files merged in order,
 * interpolated, its own includes and extends applied) with
 * - relative paths, `extends.file` and env files resolved from its project_directory (by
 *   default the folder of its first file), and
 * - variables from its env_file (by default the .env of that folder), under the including
 *   project's variables, which win (compose-go merges the parent's environment over them).
 * Its services, networks, volumes, secrets and configs join the including file's; one that the
 * including file (or an earlier include) defines differently is refused, as compose refuses
 * it ("services.db conflicts with imported resource"); the same definition twice (two
 * includes sharing a file) is taken once. Later compose files (`compose: [a, b]`)
 * may still override what was included, as with `docker compose -f a -f b`.
 */

/** Reads one source into a layer: load.ts's readSource, passed in to keep modules acyclic. */
export type ReadSource = (src: ComposeSource, ctx: LoadContext) => SourceLayer;

const SECTIONS: readonly Section[] = ['services', 'networks', 'volumes', 'secrets', 'configs'];

interface IncludeEntry {
  paths: { path: string; node: Node }[];
  envFiles: { path: string; node: Node }[];
  projectDir?: string;
  node: Node;
}

function listOf(n: Node, ctx: LoadContext): { path: string; node: Node }[] {
  if (n.isNull) return [];
  const items = n.isList() ? n.items() : [n];
  const values = strList(n, ctx, { single: true }) ?? [];
  return values.map((path, i) => ({ path, node: items[i] ?? n }));
}

function entry(n: Node, ctx: LoadContext): IncludeEntry | undefined {
  if (typeof n.value === 'string') return { paths: listOf(n, ctx), envFiles: [], node: n };
  if (!n.isMap())
    return typeError(
      n,
      ctx,
      'a path or a mapping',
      'Write - path/to/compose.yaml, or - path: ... with env_file and project_directory.',
    );
  checkKeys(n, ['path', 'env_file', 'project_directory'], 'include', ctx);
  const paths = listOf(n.child('path'), ctx);
  if (paths.length === 0 && n.child('path').isNull)
    ctx.problems.add(
      n.pos,
      `${n.label}: an include needs "path"`,
      'Add path: the compose file to include.',
    );
  const projectDir = str(n.child('project_directory'), ctx);
  return {
    paths,
    envFiles: listOf(n.child('env_file'), ctx),
    ...(projectDir !== undefined && { projectDir }),
    node: n,
  };
}

/** Variables of an included application: its env files under the including project's variables. */
function includeEnv(e: IncludeEntry, projectDir: string, ctx: LoadContext): Env {
  const files = e.envFiles.length
    ? e.envFiles.map((f) => ({ abs: resolveHostPath(f.path, ctx.projectDir), node: f.node }))
    : [{ abs: resolveHostPath('.env', projectDir), node: e.node }].filter(
        (f) => statSync(f.abs, { throwIfNoEntry: false })?.isFile() ?? false,
      );
  const fromFiles: Record<string, string> = {};
  for (const f of files) {
    try {
      Object.assign(fromFiles, readEnvFile(f.abs, f.node.pos, ctx.env, displayName(f.abs)));
    } catch (err) {
      if (!isUserError(err)) throw err;
      ctx.problems.list.push(...err.problems);
    }
  }
  return { ...fromFiles, ...ctx.env } as Env;
}

/** Loads one include entry as a compose application of its own. */
function loadEntry(
  e: IncludeEntry,
  ctx: LoadContext,
  read: ReadSource,
  chain: readonly string[],
): MergedProject | undefined {
  const files = e.paths.map((p) => ({
    abs: resolveHostPath(p.path, ctx.projectDir),
    node: p.node,
  }));
  if (files.length === 0) return undefined;
  const projectDir =
    e.projectDir !== undefined
      ? resolveHostPath(e.projectDir, ctx.projectDir)
      : dirname(files[0]!.abs);
  const sub: LoadContext = {
    ...ctx,
    env: includeEnv(e, projectDir, ctx),
    projectDir,
    includeChain: chain,
  };
  const layers: SourceLayer[] = [];
  for (const f of files) {
    if (chain.includes(f.abs)) {
      ctx.problems.add(
        f.node.pos,
        `include cycle: ${[...chain, f.abs].map(displayName).join(' → ')}`,
        'A compose file cannot include itself, even through other files: remove one of these includes.',
      );
      return undefined;
    }
    if (!existsSync(f.abs)) {
      ctx.problems.add(
        f.node.pos,
        `${f.node.label}: ${displayName(f.abs)} does not exist`,
        'Check the path; it is resolved from the folder of the file that includes it.',
      );
      continue;
    }
    try {
      const src = readComposeFile(f.abs, displayName(f.abs), f.node.pos);
      layers.push(read({ ...src, dir: projectDir }, { ...sub, includeChain: [...chain, f.abs] }));
    } catch (err) {
      if (!isUserError(err)) throw err;
      ctx.problems.list.push(...err.problems);
    }
  }
  return mergeSources(layers);
}

/** Whether two definitions are the same, wherever each was written (positions left out). */
function sameDefinition(a: unknown, b: unknown): boolean {
  const text = (v: unknown) =>
    JSON.stringify(v, (_k, x: unknown) =>
      x && typeof x === 'object' && 'line' in x && 'column' in x && 'file' in x ? undefined : x,
    );
  return text(a) === text(b);
}

/**
 * Reads the `include` key of a compose file and adds what each entry defines to `layer`,
 * refusing a name the layer (or an earlier entry) already defines.
 */
export function applyIncludes(
  n: Node,
  layer: SourceLayer,
  ctx: LoadContext,
  read: ReadSource,
  self: string,
): void {
  if (n.isNull) return;
  const entries = n.isList() ? n.items() : [n];
  const chain = [...(ctx.includeChain ?? []), self];
  for (const item of entries) {
    const e = entry(item, ctx);
    const project = e && loadEntry(e, ctx, read, chain);
    if (!project) continue;
    for (const section of SECTIONS) {
      const own = layer[section] as { name: string }[];
      for (const [name, value] of project[section] as Map<string, { name: string }>) {
        const existing = own.find((o) => o.name === name);
        // The same definition reached twice (a file two includes share) is no conflict.
        if (existing && sameDefinition(existing, value)) continue;
        if (existing) {
          ctx.problems.add(
            item.pos,
            `${section}.${name} conflicts with imported resource: ${displayName(
              e.paths[0] ? resolveHostPath(e.paths[0].path, ctx.projectDir) : '',
            )} defines it too`,
            `Rename one of them, or remove it from one file (compose refuses the same ${section.slice(0, -1)} defined twice through include).`,
          );
          continue;
        }
        own.push(value);
      }
    }
  }
}
