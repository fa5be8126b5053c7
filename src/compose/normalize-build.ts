import { checkKeys } from './keys.js';
import type { BuildLayer } from './layer.js';
import type { LoadContext, Node } from './node.js';
import { envMap, setDefined, str, stringMap, typeError } from './read.js';
import { resolveHostPath } from './paths.js';

const KEYS = ['context', 'dockerfile', 'args', 'target', 'labels'];

function context(n: Node, ctx: LoadContext): string | undefined {
  const text = str(n, ctx);
  if (text === undefined) return undefined;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text) || text.startsWith('git@')) {
    ctx.problems.add(
      n.pos,
      `${n.label}: remote build context "${text}" is not supported by stackcheck`,
      'Check the sources out next to the compose file and point context at that folder.',
    );
    return undefined;
  }
  return resolveHostPath(text, ctx.projectDir);
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
  setDefined(layer, 'args', envMap(n.child('args'), ctx));
  setDefined(layer, 'target', str(n.child('target'), ctx));
  setDefined(layer, 'labels', stringMap(n.child('labels'), ctx));
  return layer;
}
