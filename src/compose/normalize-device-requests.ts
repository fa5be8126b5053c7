import { checkKeys } from './keys.js';
import type { DeviceRequestSpec } from './model.js';
import type { LoadContext, Node } from './node.js';
import { mapping, num, setDefined, str, stringMap, strList, typeError } from './read.js';

const KEYS = ['driver', 'count', 'device_ids', 'capabilities', 'options'];

/**
 * One device request (deploy.resources.reservations.devices, `gpus`). `implied` capabilities
 * are added to what the entry lists and make `capabilities` optional: `gpus` entries are GPU
 * requests without saying so.
 */
export function deviceRequest(
  n: Node,
  ctx: LoadContext,
  implied: readonly string[] = [],
): DeviceRequestSpec | undefined {
  if (!mapping(n, ctx)) return undefined;
  checkKeys(n, KEYS, 'device request', ctx);
  const listed = strList(n.child('capabilities'), ctx);
  const capabilities = [...new Set([...implied, ...(listed ?? [])])];
  if (capabilities.length === 0) {
    ctx.problems.add(
      n.pos,
      `${n.label}: a device request needs "capabilities"`,
      'Add capabilities: [gpu] for a GPU.',
    );
  }
  const countNode = n.child('count');
  const count = countNode.value === 'all' ? -1 : num(countNode, ctx, { integer: true, min: 0 });
  const deviceIds = strList(n.child('device_ids'), ctx);
  if (count !== undefined && deviceIds !== undefined) {
    ctx.problems.add(
      countNode.keyPos,
      `${n.label}: "count" and "device_ids" cannot both be set`,
      'Keep either count (how many) or device_ids (which ones).',
    );
  }
  const spec: DeviceRequestSpec = { capabilities };
  setDefined(spec, 'driver', str(n.child('driver'), ctx));
  setDefined(spec, 'count', count);
  setDefined(spec, 'deviceIds', deviceIds);
  setDefined(spec, 'options', stringMap(n.child('options'), ctx));
  return spec;
}

/** A list of device requests; `implied` as for deviceRequest. */
export function deviceRequests(
  n: Node,
  ctx: LoadContext,
  implied: readonly string[] = [],
): DeviceRequestSpec[] | undefined {
  if (n.isNull) return undefined;
  if (!n.isList())
    return typeError(
      n,
      ctx,
      'a list',
      'Write devices as a list of { capabilities: [gpu], count: 1 } entries.',
    );
  return n.items().flatMap((d) => deviceRequest(d, ctx, implied) ?? []);
}

/**
 * compose `gpus`: `all`, or a list of device requests that need not name the gpu capability.
 * The same requests as deploy.resources.reservations.devices.
 */
export function normalizeGpus(n: Node, ctx: LoadContext): DeviceRequestSpec[] | undefined {
  if (n.value === 'all') return [{ count: -1, capabilities: ['gpu'] }];
  if (typeof n.value === 'string')
    return typeError(n, ctx, '"all" or a list', 'Write gpus: all, or a list of { count: 1 }.');
  return deviceRequests(n, ctx, ['gpu']);
}
