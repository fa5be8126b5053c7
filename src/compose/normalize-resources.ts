import { checkKeys } from './keys.js';
import type { NetworkLayer, VolumeLayer } from './layer.js';
import type { NetworkSpec } from './model.js';
import type { LoadContext, Node } from './node.js';
import { bool, mapping, setDefined, str, stringMap, typeError } from './read.js';
import { RESOURCE_NAME } from './normalize-volumes.js';

const COMMON_KEYS = ['driver', 'driver_opts', 'labels', 'external', 'name'];
const NETWORK_KEYS = [...COMMON_KEYS, 'internal', 'attachable', 'enable_ipv6', 'ipam'];

/** What top-level networks and volumes share: driver, options, labels, external, name. */
function common(n: Node, ctx: LoadContext, kind: 'network' | 'volume'): VolumeLayer {
  const layer: VolumeLayer = { name: n.key, pos: n.keyPos };
  if (!RESOURCE_NAME.test(n.key)) {
    ctx.problems.add(
      n.keyPos,
      `${kind} name "${n.key}" is not valid`,
      'Use letters, digits, "_", "." and "-", starting with a letter or digit.',
    );
  }
  if (n.isNull || !mapping(n, ctx)) return layer;
  setDefined(layer, 'driver', str(n.child('driver'), ctx));
  setDefined(layer, 'driverOpts', stringMap(n.child('driver_opts'), ctx));
  setDefined(layer, 'labels', stringMap(n.child('labels'), ctx));
  const external = n.child('external');
  let name = str(n.child('name'), ctx);
  let namePos = n.child('name').pos;
  if (external.isMap()) {
    // The deprecated `external: { name: x }`, which compose still reads (with a warning).
    checkKeys(external, ['name'], `external ${kind}`, ctx);
    const old = str(external.child('name'), ctx);
    ctx.warnings.push({
      message: `${external.label}: "external: { name: ... }" is deprecated; write external: true and name: ... on the ${kind}`,
      pos: external.pos,
    });
    layer.external = true;
    if (old !== undefined && name === undefined) {
      name = old;
      namePos = external.child('name').pos;
    }
  } else {
    setDefined(layer, 'external', bool(external, ctx));
  }
  if (name !== undefined) layer.customName = { value: name, pos: namePos };
  layer.configuredKeys = n
    .entries()
    .filter((e) => !['external', 'name'].includes(e.key) && !e.key.startsWith('x-'))
    .map((e) => ({ key: e.key, pos: e.keyPos }));
  return layer;
}

function ipam(n: Node, ctx: LoadContext): NetworkSpec['ipam'] | undefined {
  if (!mapping(n, ctx)) return undefined;
  checkKeys(n, ['driver', 'config'], 'ipam', ctx);
  const out: NonNullable<NetworkSpec['ipam']> = { config: [] };
  setDefined(out, 'driver', str(n.child('driver'), ctx));
  const config = n.child('config');
  if (!config.isNull && !config.isList())
    typeError(
      config,
      ctx,
      'a list',
      'Write config as a list of { subnet, gateway, ip_range } entries.',
    );
  for (const c of config.items()) {
    if (!mapping(c, ctx)) continue;
    checkKeys(c, ['subnet', 'gateway', 'ip_range'], 'ipam config', ctx);
    const entry: NonNullable<NetworkSpec['ipam']>['config'][number] = {};
    setDefined(entry, 'subnet', str(c.child('subnet'), ctx));
    setDefined(entry, 'gateway', str(c.child('gateway'), ctx));
    setDefined(entry, 'ipRange', str(c.child('ip_range'), ctx));
    out.config.push(entry);
  }
  return out;
}

export function normalizeNetworks(n: Node, ctx: LoadContext): NetworkLayer[] {
  return (mapping(n, ctx) ?? []).map((e) => {
    const layer: NetworkLayer = common(e, ctx, 'network');
    if (!e.isMap()) return layer;
    checkKeys(e, NETWORK_KEYS, 'network', ctx);
    setDefined(layer, 'internal', bool(e.child('internal'), ctx));
    setDefined(layer, 'attachable', bool(e.child('attachable'), ctx));
    setDefined(layer, 'enableIpv6', bool(e.child('enable_ipv6'), ctx));
    setDefined(layer, 'ipam', ipam(e.child('ipam'), ctx));
    return layer;
  });
}

export function normalizeVolumeDefs(n: Node, ctx: LoadContext): VolumeLayer[] {
  return (mapping(n, ctx) ?? []).map((e) => {
    if (e.isMap()) checkKeys(e, COMMON_KEYS, 'volume', ctx);
    return common(e, ctx, 'volume');
  });
}
