import type { LinkSpec } from './model.js';
import type { LoadContext, Node } from './node.js';
import { str, typeError } from './read.js';

const HINT = 'Write links as a list of "service" or "service:alias".';

/**
 * compose `links`: `service` or `service:alias`. stackcheck does not create Docker's legacy
 * links (they only work on the default bridge); as compose does on user-defined networks, a
 * link makes the service a dependency (see selectServices) and `alias` a name it answers to
 * from this service.
 */
export function normalizeLinks(n: Node, ctx: LoadContext): LinkSpec[] | undefined {
  if (n.isNull) return undefined;
  if (!n.isList()) return typeError(n, ctx, 'a list', HINT);
  return n.items().flatMap((item) => {
    const text = str(item, ctx);
    if (text === undefined) return [];
    const [service = '', alias = service, ...rest] = text.split(':');
    if (service === '' || alias === '' || rest.length > 0) {
      ctx.problems.add(item.pos, `${item.label}: invalid link "${text}"`, HINT);
      return [];
    }
    return [{ service, alias, pos: item.pos }];
  });
}
