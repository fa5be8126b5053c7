import type { SourcePos } from '../common/errors.js';
import { checkKeys } from './keys.js';
import type { ResourcesLayer } from './layer.js';
import { deviceRequests } from './normalize-device-requests.js';
import type { LoadContext, Node } from './node.js';
import type { ServiceSpec } from './model.js';
import { mapping, num, setDefined, size, str } from './read.js';

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

/** compose's mapping of a Swarm restart condition to the engine's policy (pkg/compose/create.go). */
const CONDITIONS: Record<string, NonNullable<ServiceSpec['restart']>['policy']> = {
  '': 'no',
  none: 'no',
  no: 'no',
  'on-failure': 'on-failure',
  'unless-stopped': 'unless-stopped',
  any: 'always',
  always: 'always',
};

/**
 * deploy.restart_policy as compose v2 applies it on one engine: the condition becomes the
 * container's restart policy (none -> no, any -> always; no condition is no restart) and
 * max_attempts its retry count. `delay` and `window` have no engine equivalent.
 */
function restartPolicy(n: Node, ctx: LoadContext): ServiceSpec['restart'] {
  if (!mapping(n, ctx)) return undefined;
  checkKeys(n, ['condition', 'delay', 'max_attempts', 'window'], 'restart_policy', ctx);
  for (const key of ['delay', 'window'].filter((k) => n.has(k)))
    ctx.warnings.push({
      message: `${n.child(key).label}: ignored on a single engine: the engine restarts with its own back-off; compose passes no delay or window either`,
      pos: n.child(key).keyPos,
    });
  const condition = n.child('condition');
  const text = str(condition, ctx) ?? '';
  const policy = CONDITIONS[text];
  if (policy === undefined) {
    ctx.problems.add(
      condition.pos,
      `${condition.label}: unknown restart condition "${text}"`,
      'Use none, on-failure or any (compose also takes no, always and unless-stopped).',
    );
    return undefined;
  }
  const retries = num(n.child('max_attempts'), ctx, { integer: true, min: 0 });
  return {
    policy,
    ...(retries !== undefined && policy === 'on-failure' && { maxRetries: retries }),
  };
}

/**
 * The parts of `deploy` that apply to containers on one engine: replicas, resources and the
 * restart policy.
 */
export function normalizeDeploy(
  n: Node,
  ctx: LoadContext,
): { replicas?: number; resources?: ResourcesLayer; restart?: ServiceSpec['restart'] } {
  if (!mapping(n, ctx)) return {};
  checkKeys(n, ['replicas', 'resources', 'restart_policy'], 'deploy', ctx);
  const out: { replicas?: number; resources?: ResourcesLayer; restart?: ServiceSpec['restart'] } =
    {};
  setDefined(out, 'replicas', num(n.child('replicas'), ctx, { integer: true, min: 0 }));
  setDefined(out, 'resources', resources(n.child('resources'), ctx));
  setDefined(out, 'restart', restartPolicy(n.child('restart_policy'), ctx));
  return out;
}
