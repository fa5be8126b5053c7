import { checkKeys } from './keys.js';
import type { ExtendsRef } from './layer.js';
import type { LoadContext, Node } from './node.js';
import { str, typeError } from './read.js';

const HINT = 'Write extends: { service: base }, or extends: { file: common.yml, service: base }.';

/** `extends: base` or `extends: { service, file }`; applied later, by ExtendsResolver. */
export function normalizeExtends(n: Node, ctx: LoadContext): ExtendsRef | undefined {
  if (n.isNull) return undefined;
  if (typeof n.value === 'string') return { service: n.value, servicePos: n.pos, label: n.label };
  if (!n.isMap()) return typeError(n, ctx, 'a service name or a mapping', HINT);
  checkKeys(n, ['service', 'file'], 'extends', ctx);
  const service = str(n.child('service'), ctx);
  if (service === undefined) {
    ctx.problems.add(n.pos, `${n.label}: extends needs "service"`, HINT);
    return undefined;
  }
  const file = str(n.child('file'), ctx);
  return {
    service,
    servicePos: n.child('service').pos,
    label: n.label,
    ...(file !== undefined ? { file, filePos: n.child('file').pos } : {}),
  };
}
