import { checkKeys } from './keys.js';
import type { DependsCondition, DependsOn } from './model.js';
import type { LoadContext, Node } from './node.js';
import { bool, oneOf, str, typeError } from './read.js';

const CONDITIONS: readonly DependsCondition[] = [
  'service_started',
  'service_healthy',
  'service_completed_successfully',
];

function longEntry(n: Node, ctx: LoadContext): DependsOn {
  const dep: DependsOn = { condition: 'service_started', required: true, pos: n.keyPos };
  if (n.isNull) return dep;
  if (!n.isMap()) {
    typeError(
      n,
      ctx,
      'a mapping',
      'Write condition: service_healthy (and optionally required / restart) below the service name.',
    );
    return dep;
  }
  checkKeys(n, ['condition', 'required', 'restart'], 'depends_on', ctx);
  dep.condition = oneOf(n.child('condition'), ctx, CONDITIONS) ?? dep.condition;
  dep.required = bool(n.child('required'), ctx) ?? true;
  const restart = bool(n.child('restart'), ctx);
  if (restart !== undefined) dep.restart = restart;
  return dep;
}

/** A list of service names, or a mapping of name -> { condition, required, restart }. */
export function normalizeDependsOn(
  n: Node,
  ctx: LoadContext,
): Record<string, DependsOn> | undefined {
  if (n.isNull) return undefined;
  if (n.isMap()) return Object.fromEntries(n.entries().map((e) => [e.key, longEntry(e, ctx)]));
  if (!n.isList())
    return typeError(
      n,
      ctx,
      'a list or a mapping',
      'Write depends_on: [db], or db: { condition: service_healthy }.',
    );
  const out: Record<string, DependsOn> = {};
  for (const item of n.items()) {
    const name = str(item, ctx);
    if (name !== undefined)
      out[name] = { condition: 'service_started', required: true, pos: item.pos };
  }
  return out;
}
