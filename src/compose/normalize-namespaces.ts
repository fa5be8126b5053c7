import type { LoadContext, Node } from './node.js';
import { oneOf } from './read.js';

/*
 * `pid`, `ipc` and `uts`: which namespace the container uses. Sharing another service's or
 * container's (`service:db`, `container:x`) is not supported: stackcheck names containers
 * per run and replica, so such a reference has no single target.
 */

function mode<T extends string>(n: Node, ctx: LoadContext, modes: readonly T[]): T | undefined {
  const other = typeof n.value === 'string' ? /^(service|container):/.exec(n.value) : null;
  if (other) {
    ctx.problems.add(
      n.pos,
      `${n.label}: joining another ${other[1]}'s ${n.key} namespace ("${String(n.value)}") is not supported by stackcheck`,
      `Use ${modes.join(' or ')}, or remove ${n.key}.`,
    );
    return undefined;
  }
  return oneOf(n, ctx, modes);
}

export const pidMode = (n: Node, ctx: LoadContext) => mode(n, ctx, ['host'] as const);
export const utsMode = (n: Node, ctx: LoadContext) => mode(n, ctx, ['host'] as const);
export const ipcMode = (n: Node, ctx: LoadContext) =>
  mode(n, ctx, ['host', 'private', 'shareable', 'none'] as const);
