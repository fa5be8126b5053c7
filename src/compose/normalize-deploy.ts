import type { SourcePos } from '../common/errors.js';
import { checkKeys } from './keys.js';
import type { ResourcesLayer } from './layer.js';
import { deviceRequests } from './normalize-device-requests.js';
import type { LoadContext, Node } from './node.js';
import { mapping, num, setDefined, size } from './read.js';

function resources(n: Node, ctx: LoadContext): ResourcesLayer | undefined {
  if (!mapping(n, ctx)) return undefined;
  checkKeys(n, ['limits', 'reservations'], 'resources', ctx);
  const at: Record<string, SourcePos> = {};
  const out: ResourcesLayer = { limits: {}, reservations: {}, at };
  /** Reads group.key, remembering where a value stands for the checks against mem_limit & co. */
  const read = <T>(group: Node, key: string, value: (v: Node) => T | undefined) => {
    const v = group.child(key);
    const result = value(v);
    if (result !== undefined) at[`${group.key}.${key}`] = v.pos;
    return result;
  };
  const limits = n.child('limits');
  if (mapping(limits, ctx)) {
    checkKeys(limits, ['cpus', 'memory', 'pids'], 'limits', ctx);
    setDefined(
      out.limits,
      'cpus',
      read(limits, 'cpus', (v) => num(v, ctx, { min: 0 })),
    );
    setDefined(
      out.limits,
      'memoryBytes',
      read(limits, 'memory', (v) => size(v, ctx)),
    );
    setDefined(
      out.limits,
      'pids',
      read(limits, 'pids', (v) => num(v, ctx, { integer: true, min: -1 })),
    );
  }
  const res = n.child('reservations');
  if (mapping(res, ctx)) {
    checkKeys(res, ['cpus', 'memory', 'devices'], 'reservations', ctx);
    setDefined(
      out.reservations,
      'cpus',
      read(res, 'cpus', (v) => num(v, ctx, { min: 0 })),
    );
    setDefined(
      out.reservations,
      'memoryBytes',
      read(res, 'memory', (v) => size(v, ctx)),
    );
    setDefined(out.reservations, 'devices', deviceRequests(res.child('devices'), ctx));
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
