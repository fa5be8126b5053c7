import { checkKeys } from './keys.js';
import type { BuildLayer } from './layer.js';
import type { LoadContext, Node } from './node.js';
import {
  envMap,
  keyValues,
  mapping,
  setDefined,
  str,
  stringMap,
  strList,
  typeError,
} from './read.js';
import { resolveHostPath } from './paths.js';

const KEYS = [
  'context',
  'dockerfile',
  'dockerfile_inline',
  'args',
  'target',
  'labels',
  'tags',
  'additional_contexts',
  'secrets',
  'ssh',
];

/** A git or http(s) URL: the engine fetches such a context itself (the build API's `remote`). */
const REMOTE = /^([a-z][a-z0-9+.-]*:\/\/|git@)/i;

function context(n: Node, ctx: LoadContext): string | undefined {
  const text = str(n, ctx);
  if (text === undefined) return undefined;
  return REMOTE.test(text) ? text : resolveHostPath(text, ctx.projectDir);
}

/**
 * `additional_contexts`: a folder (relative to the project), `docker-image://REF`, or
 * `service:NAME`, by the name a Dockerfile uses in FROM or COPY --from.
 */
function additionalContexts(n: Node, ctx: LoadContext): Record<string, string> | undefined {
  const pairs = keyValues(n, ctx);
  if (!pairs) return undefined;
  const out: Record<string, string> = {};
  for (const [name, value] of pairs) {
    if (!value) {
      ctx.problems.add(
        n.pos,
        `${n.label}: context "${name}" has no source`,
        'Write name: ./folder, name: docker-image://image:tag or name: service:other.',
      );
      continue;
    }
    out[name] =
      value.startsWith('docker-image://') || value.startsWith('service:') || REMOTE.test(value)
        ? value
        : resolveHostPath(value, ctx.projectDir);
  }
  return out;
}

/** `build.secrets`: names of top-level secrets, or { source, target } (the id RUN --mount uses). */
function buildSecrets(n: Node, ctx: LoadContext): { source: string; id: string }[] | undefined {
  if (n.isNull) return undefined;
  if (!n.isList())
    return typeError(n, ctx, 'a list', 'Write secrets: [name] or [{ source, target }].');
  return n.items().flatMap((item) => {
    if (item.isMap()) {
      checkKeys(item, ['source', 'target', 'uid', 'gid', 'mode'], 'build secret', ctx);
      const source = str(item.child('source'), ctx);
      if (source === undefined) return [];
      return [{ source, id: str(item.child('target'), ctx) ?? source }];
    }
    const source = str(item, ctx);
    return source === undefined ? [] : [{ source, id: source }];
  });
}

/** `build.ssh`: `default`, or `id=path` entries (list or mapping). */
function buildSsh(n: Node, ctx: LoadContext): string[] | undefined {
  if (n.isMap())
    return (mapping(n, ctx) ?? []).map((e) => (e.isNull ? e.key : `${e.key}=${String(e.value)}`));
  return strList(n, ctx);
}

/** `build: ./dir` or the mapping form; paths resolve from the project folder. */
export function normalizeBuild(n: Node, ctx: LoadContext): BuildLayer | undefined {
  if (n.isNull) return undefined;
  if (typeof n.value === 'string') {
    const ctxDir = context(n, ctx);
    return ctxDir === undefined ? undefined : { context: ctxDir, pos: n.pos };
  }
  if (!n.isMap())
    return typeError(
      n,
      ctx,
      'a path or a mapping',
      'Write build: ./dir, or build: { context: ./dir, dockerfile: Dockerfile }.',
    );
  checkKeys(n, KEYS, 'build', ctx);
  const layer: BuildLayer = { pos: n.pos };
  setDefined(layer, 'context', context(n.child('context'), ctx));
  setDefined(layer, 'dockerfile', str(n.child('dockerfile'), ctx));
  setDefined(layer, 'dockerfileInline', str(n.child('dockerfile_inline'), ctx));
  if (layer.dockerfile !== undefined && layer.dockerfileInline !== undefined)
    ctx.problems.add(
      n.child('dockerfile_inline').keyPos,
      `${n.label}: dockerfile and dockerfile_inline cannot both be set`,
      'Keep one: dockerfile names a file, dockerfile_inline is its text.',
    );
  setDefined(layer, 'args', envMap(n.child('args'), ctx));
  setDefined(layer, 'target', str(n.child('target'), ctx));
  setDefined(layer, 'labels', stringMap(n.child('labels'), ctx));
  setDefined(layer, 'tags', strList(n.child('tags'), ctx));
  setDefined(layer, 'additionalContexts', additionalContexts(n.child('additional_contexts'), ctx));
  setDefined(layer, 'secrets', buildSecrets(n.child('secrets'), ctx));
  setDefined(layer, 'ssh', buildSsh(n.child('ssh'), ctx));
  return layer;
}
