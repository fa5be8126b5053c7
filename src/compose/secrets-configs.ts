import { existsSync } from 'node:fs';
import { posix } from 'node:path';
import { didYouMean } from '../common/suggest.js';
import { checkKeys } from './keys.js';
import type { FileObjectLayer, FileRef, ServiceLayer } from './layer.js';
import type { MountSpec } from './model.js';
import type { LoadContext, Node } from './node.js';
import { displayName, resolveHostPath } from './paths.js';
import { bool, mapping, str, typeError } from './read.js';

/*
 * Secrets and configs with a `file:` source, as docker compose realises them without Swarm:
 * the file is bind-mounted read-only, a secret at /run/secrets/<name>, a config at /<name>
 * (or at the grant's `target`). External ones exist only in Swarm; `content:` and
 * `environment:` sources would need stackcheck to write files, so they are refused too.
 */

export type FileObjectKind = 'secret' | 'config';

const DEFAULT_DIR: Record<FileObjectKind, string> = { secret: '/run/secrets', config: '/' };

/** Top-level `secrets:` or `configs:`. */
export function normalizeFileObjects(
  n: Node,
  ctx: LoadContext,
  kind: FileObjectKind,
): FileObjectLayer[] {
  return (mapping(n, ctx) ?? []).map((e) => {
    const layer: FileObjectLayer = { name: e.key, pos: e.keyPos };
    if (!e.isNull && !mapping(e, ctx)) return layer;
    checkKeys(e, ['file', 'external', 'content', 'environment', 'name'], kind, ctx);
    let refused = false;
    if (bool(e.child('external'), ctx)) {
      refused = true;
      ctx.problems.add(
        e.child('external').pos,
        `${kind} "${e.key}": external ${kind}s are not supported by stackcheck`,
        `External ${kind}s exist only in Docker Swarm; give the ${kind} a file: ./path instead.`,
      );
    }
    for (const key of ['content', 'environment'].filter((k) => e.has(k))) {
      refused = true;
      ctx.problems.add(
        e.child(key).keyPos,
        `${kind} "${e.key}": a ${kind} from "${key}" is not supported by stackcheck`,
        `Write the value to a file and use file: ./${e.key}.txt instead.`,
      );
    }
    const file = str(e.child('file'), ctx);
    if (file === undefined) {
      if (!refused)
        ctx.problems.add(
          e.keyPos,
          `${kind} "${e.key}" needs "file"`,
          `Add file: ./${e.key}.txt with the ${kind}'s content.`,
        );
      return layer;
    }
    const abs = resolveHostPath(file, ctx.projectDir);
    if (existsSync(abs)) layer.file = abs;
    else
      ctx.problems.add(
        e.child('file').pos,
        `${kind} file not found: ${displayName(abs)}`,
        'Check the path: relative paths are resolved from the compose project folder.',
      );
    return layer;
  });
}

function target(path: string, kind: FileObjectKind): string {
  return posix.isAbsolute(path) ? path : posix.join(DEFAULT_DIR[kind], path);
}

function longRef(n: Node, ctx: LoadContext, kind: FileObjectKind): FileRef | undefined {
  checkKeys(n, ['source', 'target', 'uid', 'gid', 'mode'], `${kind} grant`, ctx);
  for (const key of ['uid', 'gid', 'mode'].filter((k) => n.has(k))) {
    ctx.problems.add(
      n.child(key).keyPos,
      `${n.label}: "${key}" is not supported by stackcheck for a ${kind} from a file`,
      `The file is bind-mounted read-only with its own owner and mode (as docker compose does): remove ${key}, or set them on the file.`,
    );
  }
  const source = str(n.child('source'), ctx);
  if (source === undefined) {
    ctx.problems.add(
      n.pos,
      `${n.label}: a ${kind} grant needs "source"`,
      `Add source: with the name of a top-level ${kind}.`,
    );
    return undefined;
  }
  return { source, target: target(str(n.child('target'), ctx) ?? source, kind), pos: n.pos };
}

/** A service's `secrets:` or `configs:`: names, or { source, target } grants. */
export function normalizeFileRefs(
  n: Node,
  ctx: LoadContext,
  kind: FileObjectKind,
): FileRef[] | undefined {
  if (n.isNull) return undefined;
  if (!n.isList())
    return typeError(n, ctx, 'a list', `Write ${kind}s: [name], or a list of { source, target }.`);
  return n.items().flatMap((item) => {
    if (item.isMap()) return longRef(item, ctx, kind) ?? [];
    const source = str(item, ctx);
    return source === undefined ? [] : [{ source, target: target(source, kind), pos: item.pos }];
  });
}

/**
 * The read-only bind mounts for a service's secrets and configs, once the project's
 * top-level definitions are known (after merging).
 */
export function fileObjectMounts(
  s: ServiceLayer,
  defs: Record<FileObjectKind, Map<string, FileObjectLayer>>,
  ctx: LoadContext,
): MountSpec[] {
  const taken = new Set((s.mounts ?? []).map((m) => m.target));
  const out: MountSpec[] = [];
  for (const kind of ['secret', 'config'] as const) {
    for (const ref of (kind === 'secret' ? s.secrets : s.configs) ?? []) {
      const def = defs[kind].get(ref.source);
      if (!def) {
        ctx.problems.add(
          ref.pos,
          `service "${s.name}" uses ${kind} "${ref.source}", which is not declared under top-level ${kind}s`,
          didYouMean(ref.source, defs[kind].keys()) ||
            `Declare it: ${kind}s: { ${ref.source}: { file: ./${ref.source}.txt } } at the top level.`,
        );
      } else if (taken.has(ref.target)) {
        ctx.problems.add(
          ref.pos,
          `two mounts use the container path ${ref.target}`,
          'Keep one mount per container path.',
        );
      } else if (def.file !== undefined) {
        taken.add(ref.target);
        out.push({
          type: 'bind',
          source: def.file,
          target: ref.target,
          readOnly: true,
          createHostPath: false,
          pos: ref.pos,
        });
      }
    }
  }
  return out;
}
