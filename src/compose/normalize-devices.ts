import { checkKeys } from './keys.js';
import type { DeviceMappingSpec, DeviceRequestSpec } from './model.js';
import type { LoadContext, Node } from './node.js';
import { str, typeError } from './read.js';

const HINT =
  'Write "/dev/HOST[:/dev/CONTAINER[:PERMISSIONS]]", e.g. "/dev/ttyUSB0:/dev/ttyUSB0:rw".';
const PERMISSIONS = /^(?!.*(.).*\1)[rwm]{1,3}$/;

function check(d: DeviceMappingSpec, n: Node, ctx: LoadContext): DeviceMappingSpec | undefined {
  const bad = !d.source.startsWith('/')
    ? `the host path "${d.source}" must be absolute`
    : !d.target.startsWith('/')
      ? `the container path "${d.target}" must be absolute`
      : !PERMISSIONS.test(d.permissions)
        ? `"${d.permissions}" is not a set of device permissions (r, w, m)`
        : undefined;
  if (bad === undefined) return d;
  ctx.problems.add(n.pos, `${n.label}: ${bad}`, HINT);
  return undefined;
}

/** `SOURCE[:TARGET][:PERMISSIONS]`: the target defaults to the source, permissions to rwm. */
function short(text: string): DeviceMappingSpec {
  const parts = text.split(':');
  const [source = '', second, third] = parts;
  if (parts.length === 2 && /^[rwm]+$/.test(second!))
    return { source, target: source, permissions: second! };
  return { source, target: second ?? source, permissions: third ?? 'rwm' };
}

function long(n: Node, ctx: LoadContext): DeviceMappingSpec | undefined {
  checkKeys(n, ['source', 'target', 'permissions'], 'device', ctx);
  const source = str(n.child('source'), ctx);
  if (source === undefined) {
    ctx.problems.add(n.pos, `${n.label}: a device needs "source" (the host path)`, HINT);
    return undefined;
  }
  return {
    source,
    target: str(n.child('target'), ctx) ?? source,
    permissions: str(n.child('permissions'), ctx) ?? 'rwm',
  };
}

/** A CDI name (vendor.com/class=name): the runtime picks the device. */
const CDI = /^[^/:]+\/[^=]+=.+$/;

/**
 * CDI devices in compose `devices`, which compose (as the docker CLI) passes as a device
 * request to the "cdi" driver (engines with CDI enabled, Docker 25 and later).
 */
export function cdiDevices(n: Node): DeviceRequestSpec[] {
  const names = n
    .items()
    .flatMap((i) => (typeof i.value === 'string' && CDI.test(i.value) ? [i.value] : []));
  return names.length ? [{ driver: 'cdi', deviceIds: names, capabilities: [] }] : [];
}

/** compose `devices`: short strings or { source, target, permissions } mappings; CDI names are cdiDevices'. */
export function normalizeDevices(n: Node, ctx: LoadContext): DeviceMappingSpec[] | undefined {
  if (n.isNull) return undefined;
  if (!n.isList()) return typeError(n, ctx, 'a list', HINT);
  return n.items().flatMap((item) => {
    if (typeof item.value === 'string' && CDI.test(item.value)) return [];
    if (item.isMap()) {
      const d = long(item, ctx);
      return (d && check(d, item, ctx)) ?? [];
    }
    const text = str(item, ctx);
    if (text === undefined) return [];
    if (text.split(':').length > 3) {
      ctx.problems.add(item.pos, `${item.label}: invalid device "${text}"`, HINT);
      return [];
    }
    return check(short(text), item, ctx) ?? [];
  });
}
