import { existsSync } from 'node:fs';
import { posix } from 'node:path';
import type { SourcePos } from '../common/errors.js';
import { didYouMean } from '../common/suggest.js';
import { checkKeys } from './keys.js';
import type { FileObjectLayer, FileRef, ServiceLayer } from './layer.js';
import type { InjectedFile, MountSpec } from './model.js';
import type { LoadContext, Node } from './node.js';
import { displayName, resolveHostPath } from './paths.js';
import { bool, mapping, num, setDefined, str, typeError } from './read.js';

/*
 * Secrets and configs as docker compose v2 realises them without Swarm: a `file:` source is
 * bind-mounted read-only, a secret at /run/secrets/<name>, a config at /<name> (or at the
 * grant's `target`); a `content:` or `environment:` source is copied into the container after
 * it is created, with the grant's uid, gid and mode (0444 by default), as compose's
 * injectSecrets/injectConfigs do. A file keeps its host owner and mode: compose ignores the
 * grant's uid, gid and mode there, with a warning, and so does stackcheck. External ones exist
 * only in Swarm.
 */

export type FileObjectKind = 'secret' | 'config';

const DEFAULT_DIR: Record<FileObjectKind, string> = { secret: '/run/secrets', config: '/' };

/** The text of a `content:` or `environment:` source; undefined after a problem. */
function inlineText(e: Node, ctx: LoadContext, kind: FileObjectKind): string | undefined {
  if (e.has('content')) return str(e.child('content'), ctx);
  const v = e.child('environment');
  const name = str(v, ctx);
  if (name === undefined) return undefined;
  const value = ctx.env[name];
  // Not a load error: `down`, `validate` and `config` need no secret; `run` refuses to start
  // a service that uses it (orchestrator/up.ts), as docker compose up does.
  if (value === undefined)
    ctx.warnings.push({
      message: `${kind} "${e.key}" is read from the variable ${name}, which is not set: a service that uses it will not start`,
      pos: v.pos,
    });
  return value;
}

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
    // Not load errors, as in compose: `config` and `validate` take them, and only a service
    // that uses one cannot start (orchestrator/up.ts).
    const unavailable = (why: string, pos: SourcePos) => {
      layer.unavailable = why;
      ctx.warnings.push({
        message: `${kind} "${e.key}": ${why}: a service that uses it will not start`,
        pos,
      });
      return layer;
    };
    const external = e.child('external');
    // `external: { name: x }` is the deprecated form compose still reads.
    if (external.isMap()) checkKeys(external, ['name'], `external ${kind}`, ctx);
    if (external.isMap() || bool(external, ctx))
      return unavailable(
        `external ${kind}s exist only in Docker Swarm (give it a file: ./path, or environment: VAR)`,
        external.pos,
      );
    if (e.has('content') || e.has('environment')) {
      const text = inlineText(e, ctx, kind);
      if (text !== undefined) layer.text = text;
      else if (e.has('environment')) layer.unset = str(e.child('environment'), ctx);
      return layer;
    }
    const file = str(e.child('file'), ctx);
    if (file === undefined) {
      ctx.problems.add(
        e.keyPos,
        `${kind} "${e.key}" needs "file"`,
        `Add file: ./${e.key}.txt with the ${kind}'s content (or environment: VAR).`,
      );
      return layer;
    }
    const abs = resolveHostPath(file, ctx.projectDir);
    if (!existsSync(abs))
      return unavailable(
        `its file ${displayName(abs)} is not there (relative paths are resolved from the compose project folder)`,
        e.child('file').pos,
      );
    layer.file = abs;
    return layer;
  });
}

function target(path: string, kind: FileObjectKind): string {
  return posix.isAbsolute(path) ? path : posix.join(DEFAULT_DIR[kind], path);
}

/** A grant's uid or gid: compose reads them as numbers written as strings. */
function id(n: Node, ctx: LoadContext): number | undefined {
  return num(n, ctx, { integer: true, min: 0 });
}

/**
 * A grant's mode. compose's YAML 1.1 reader takes an unquoted 0440 as octal; stackcheck's YAML
 * 1.2 reads it as the decimal 440, so a number whose digits are all octal is read digit by digit
 * as octal (as volume modes are, normalize-volumes.ts): what a mode's writer means. Strings
 * ("0440") are octal; 0o440 is already a number.
 */
function fileMode(n: Node, ctx: LoadContext): number | undefined {
  if (typeof n.value === 'string' && /^0?[0-7]{1,4}$/.test(n.value)) return parseInt(n.value, 8);
  if (typeof n.value === 'number' && /^[0-7]{1,4}$/.test(String(n.value)))
    return parseInt(String(n.value), 8);
  return num(n, ctx, { integer: true, min: 0, max: 0o7777 });
}

function longRef(n: Node, ctx: LoadContext, kind: FileObjectKind): FileRef | undefined {
  checkKeys(n, ['source', 'target', 'uid', 'gid', 'mode'], `${kind} grant`, ctx);
  const source = str(n.child('source'), ctx);
  if (source === undefined) {
    ctx.problems.add(
      n.pos,
      `${n.label}: a ${kind} grant needs "source"`,
      `Add source: with the name of a top-level ${kind}.`,
    );
    return undefined;
  }
  const ref: FileRef = {
    source,
    target: target(str(n.child('target'), ctx) ?? source, kind),
    pos: n.pos,
  };
  setDefined(ref, 'uid', id(n.child('uid'), ctx));
  setDefined(ref, 'gid', id(n.child('gid'), ctx));
  setDefined(ref, 'mode', fileMode(n.child('mode'), ctx));
  return ref;
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
 * A service's secrets and configs, once the project's top-level definitions are known (after
 * merging): read-only bind mounts for file sources, files to copy in for the others.
 */
export function fileObjectMounts(
  s: ServiceLayer,
  defs: Record<FileObjectKind, Map<string, FileObjectLayer>>,
  ctx: LoadContext,
): { mounts: MountSpec[]; injected: InjectedFile[] } {
  const taken = new Set((s.mounts ?? []).map((m) => m.target));
  const mounts: MountSpec[] = [];
  const injected: InjectedFile[] = [];
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
      } else if (def.text !== undefined || def.unset !== undefined || def.unavailable) {
        taken.add(ref.target);
        const file: InjectedFile = {
          target: ref.target,
          ...(def.text !== undefined
            ? { content: def.text }
            : def.unset !== undefined
              ? { unset: def.unset }
              : { unavailable: `${kind} "${ref.source}": ${def.unavailable}` }),
          mode: ref.mode ?? 0o444,
          secret: kind === 'secret',
          pos: ref.pos,
        };
        setDefined(file, 'uid', ref.uid);
        setDefined(file, 'gid', ref.gid);
        injected.push(file);
      } else if (def.file !== undefined) {
        taken.add(ref.target);
        if (ref.uid !== undefined || ref.gid !== undefined || ref.mode !== undefined)
          ctx.warnings.push({
            message: `service "${s.name}", ${kind} "${ref.source}": uid, gid and mode are ignored for a ${kind} from a file, which is bind-mounted with its host owner and mode (as docker compose does)`,
            pos: ref.pos,
          });
        mounts.push({
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
  return { mounts, injected };
}

/**
 * A build's secrets with their sources, from the project's top-level secrets (file or
 * environment, as compose's build accepts): undeclared ones are reported at the build.
 */
export function buildSecretSources(
  s: ServiceLayer,
  defs: Map<string, FileObjectLayer>,
  ctx: LoadContext,
): ServiceLayer['build'] {
  const b = s.build;
  if (!b?.secrets?.length) return b;
  const secrets = b.secrets.flatMap((ref) => {
    const def = defs.get(ref.source);
    if (!def) {
      ctx.problems.add(
        b.pos,
        `service "${s.name}" builds with secret "${ref.source}", which is not declared under top-level secrets`,
        didYouMean(ref.source, defs.keys()) ||
          `Declare it: secrets: { ${ref.source}: { file: ./${ref.source}.txt } } at the top level.`,
      );
      return [];
    }
    const value =
      def.file !== undefined
        ? { file: def.file }
        : def.text !== undefined
          ? { text: def.text }
          : undefined;
    // An unset variable was warned of where it is declared; the build refuses it (build.ts).
    return [{ ...ref, ...value }];
  });
  return { ...b, secrets };
}
