import { checkKeys } from './keys.js';
import type { ResourcesLayer } from './layer.js';
import type { DeviceRequestSpec } from './model.js';
import type { LoadContext, Node } from './node.js';
import { mapping, num, setDefined, size, str, stringMap, strList, typeError } from './read.js';

function device(n: Node, ctx: LoadContext): DeviceRequestSpec | undefined {
  if (!mapping(n, ctx)) return undefined;
  checkKeys(n, ['driver', 'count', 'device_ids', 'capabilities', 'options'], 'device request', ctx);
  const capabilities = strList(n.child('capabilities'), ctx);
  if (capabilities === undefined || capabilities.length === 0) {
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
  const spec: DeviceRequestSpec = { capabilities: capabilities ?? [] };
  setDefined(spec, 'driver', str(n.child('driver'), ctx));
  setDefined(spec, 'count', count);
  setDefined(spec, 'deviceIds', deviceIds);
  setDefined(spec, 'options', stringMap(n.child('options'), ctx));
  return spec;
}

function resources(n: Node, ctx: LoadContext): ResourcesLayer | undefined {
  if (!mapping(n, ctx)) return undefined;
  checkKeys(n, ['limits', 'reservations'], 'resources', ctx);
  const out: ResourcesLayer = { limits: {}, reservations: {} };
  const limits = n.child('limits');
  if (mapping(limits, ctx)) {
    checkKeys(limits, ['cpus', 'memory', 'pids'], 'limits', ctx);
    setDefined(out.limits, 'cpus', num(limits.child('cpus'), ctx, { min: 0 }));
    setDefined(out.limits, 'memoryBytes', size(limits.child('memory'), ctx));
    setDefined(out.limits, 'pids', num(limits.child('pids'), ctx, { integer: true, min: -1 }));
  }
  const res = n.child('reservations');
  if (mapping(res, ctx)) {
    checkKeys(res, ['cpus', 'memory', 'devices'], 'reservations', ctx);
    setDefined(out.reservations, 'cpus', num(res.child('cpus'), ctx, { min: 0 }));
    setDefined(out.reservations, 'memoryBytes', size(res.child('memory'), ctx));
    const devices = res.child('devices');
    if (!devices.isNull && !devices.isList())
      typeError(
        devices,
        ctx,
        'a list',
        'Write devices as a list of { capabilities: [gpu], count: 1 } entries.',
      );
    else if (devices.isList())
      out.reservations.devices = devices.items().flatMap((d) => device(d, ctx) ?? []);
  }
  return out;
}

/** The parts of `deploy` that apply to containers on one engine: replicas and resources. */
export function normalizeDeploy(
  n: Node,
  ctx: LoadContext,
): { replicas?: number; resources?: ResourcesLayer } {
  if (!mapping(n, ctx)) return {};
  checkKeys(n, ['replicas', 'resources'], 'deploy', ctx);
  const out: { replicas?: number; resources?: ResourcesLayer } = {};
  setDefined(out, 'replicas', num(n.child('replicas'), ctx, { integer: true, min: 0 }));
  setDefined(out, 'resources', resources(n.child('resources'), ctx));
  return out;
}
