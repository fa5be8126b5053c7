import { checkKeys } from './keys.js';
import type { ServiceLayer } from './layer.js';
import type { LoadContext, Node } from './node.js';
import { mapping, setDefined, str, stringMap } from './read.js';

type LoggingLayer = NonNullable<ServiceLayer['logging']>;

/** `logging: { driver, options }`; option values are strings for the engine (max-file: 3 too). */
export function normalizeLogging(n: Node, ctx: LoadContext): LoggingLayer | undefined {
  if (!mapping(n, ctx)) return undefined;
  checkKeys(n, ['driver', 'options'], 'logging', ctx);
  const out: LoggingLayer = {};
  setDefined(out, 'driver', str(n.child('driver'), ctx));
  setDefined(out, 'options', stringMap(n.child('options'), ctx));
  return out;
}

/**
 * compose's merge of two logging sections: the same driver (or one left unnamed) merges the
 * options key by key; another driver replaces the whole section, since options belong to
 * their driver.
 */
export function mergeLogging(
  a: LoggingLayer | undefined,
  b: LoggingLayer | undefined,
): LoggingLayer | undefined {
  if (!a || !b) return b ?? a;
  if (a.driver !== undefined && b.driver !== undefined && a.driver !== b.driver) return b;
  const driver = b.driver ?? a.driver;
  return {
    ...(driver !== undefined ? { driver } : {}),
    ...(a.options || b.options ? { options: { ...a.options, ...b.options } } : {}),
  };
}
