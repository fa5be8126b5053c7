import { checkKeys } from './keys.js';
import type { HealthcheckLayer } from './layer.js';
import type { LoadContext, Node } from './node.js';
import { bool, duration, mapping, num, setDefined, strList, typeError } from './read.js';

const KEYS = [
  'test',
  'interval',
  'timeout',
  'retries',
  'start_period',
  'start_interval',
  'disable',
];
const TEST_HINT =
  'Write test: ["CMD", "prog", "arg"], test: ["CMD-SHELL", "a shell command"], or a plain string for a shell command.';

/** Docker's form: a string is a shell command; a list starts with CMD, CMD-SHELL or NONE. */
function normalizeTest(n: Node, ctx: LoadContext): { test?: string[]; disable?: boolean } {
  if (n.isNull) return {};
  if (typeof n.value === 'string') return { test: ['CMD-SHELL', n.value] };
  const list = strList(n, ctx);
  if (!list) return {};
  const [kind] = list;
  if (kind === 'NONE') return { disable: true };
  if ((kind === 'CMD' || kind === 'CMD-SHELL') && list.length >= 2) return { test: list };
  typeError(n, ctx, 'a command starting with "CMD", "CMD-SHELL" or "NONE"', TEST_HINT);
  return {};
}

export function normalizeHealthcheck(n: Node, ctx: LoadContext): HealthcheckLayer | undefined {
  if (!mapping(n, ctx)) return undefined;
  checkKeys(n, KEYS, 'healthcheck', ctx);
  const layer: HealthcheckLayer = { ...normalizeTest(n.child('test'), ctx), pos: n.pos };
  const disable = bool(n.child('disable'), ctx);
  // `test: ["NONE"]` disables as well; `disable: false` is kept so a later file can switch a check back on.
  if (layer.disable === undefined) setDefined(layer, 'disable', disable);
  setDefined(layer, 'intervalMs', duration(n.child('interval'), ctx));
  setDefined(layer, 'timeoutMs', duration(n.child('timeout'), ctx));
  setDefined(layer, 'retries', num(n.child('retries'), ctx, { integer: true, min: 0 }));
  setDefined(layer, 'startPeriodMs', duration(n.child('start_period'), ctx));
  setDefined(layer, 'startIntervalMs', duration(n.child('start_interval'), ctx));
  return layer;
}
