import { formatPos } from '../common/errors.js';
import type { ServiceLayer } from './layer.js';
import type { ResourcesSpec } from './model.js';
import type { LoadContext, Node } from './node.js';
import { bool, num, size, str } from './read.js';

/*
 * compose's service-level resource keys (mem_limit, cpus, cpu_shares, ...). They are kept
 * with their positions while loading and folded into the model's resources after merging,
 * because compose checks the four that deploy.resources can also say only then: written
 * in both places, they must agree.
 */

type Value = number | string | boolean;

interface Rule {
  read(n: Node, ctx: LoadContext): Value | undefined;
  set(r: ResourcesSpec, v: Value): void;
  /** The deploy.resources key that says the same, and its value in the model. */
  deploy?: { key: string; get(r: ResourcesSpec): number | undefined };
}

const int =
  (min: number, max?: number) =>
  (n: Node, ctx: LoadContext): number | undefined =>
    num(n, ctx, { integer: true, min, ...(max !== undefined ? { max } : {}) });

/** `memswap_limit`: a size, or -1 for unlimited swap. */
function swapLimit(n: Node, ctx: LoadContext): number | undefined {
  return n.value === -1 || n.value === '-1' ? -1 : size(n, ctx);
}

function cpuset(n: Node, ctx: LoadContext): string | undefined {
  const text = str(n, ctx);
  if (text === undefined || /^\d+(-\d+)?(,\d+(-\d+)?)*$/.test(text)) return text;
  ctx.problems.add(
    n.pos,
    `${n.label}: "${text}" is not a list of CPUs`,
    'Write CPU numbers and ranges, e.g. cpuset: "0-3" or cpuset: "0,2".',
  );
  return undefined;
}

const RULES: Record<string, Rule> = {
  cpus: {
    read: (n, ctx) => num(n, ctx, { min: 0 }),
    set: (r, v) => (r.limits.cpus = v as number),
    deploy: { key: 'limits.cpus', get: (r) => r.limits.cpus },
  },
  mem_limit: {
    read: size,
    set: (r, v) => (r.limits.memoryBytes = v as number),
    deploy: { key: 'limits.memory', get: (r) => r.limits.memoryBytes },
  },
  pids_limit: {
    read: int(-1),
    set: (r, v) => (r.limits.pids = v as number),
    deploy: { key: 'limits.pids', get: (r) => r.limits.pids },
  },
  mem_reservation: {
    read: size,
    set: (r, v) => (r.reservations.memoryBytes = v as number),
    deploy: { key: 'reservations.memory', get: (r) => r.reservations.memoryBytes },
  },
  memswap_limit: { read: swapLimit, set: (r, v) => (r.limits.memorySwapBytes = v as number) },
  mem_swappiness: { read: int(0, 100), set: (r, v) => (r.memorySwappiness = v as number) },
  cpu_shares: { read: int(0), set: (r, v) => (r.cpuShares = v as number) },
  cpu_period: { read: int(0), set: (r, v) => (r.cpuPeriodUs = v as number) },
  cpu_quota: { read: int(-1), set: (r, v) => (r.cpuQuotaUs = v as number) },
  cpuset: { read: cpuset, set: (r, v) => (r.cpuset = v as string) },
  oom_kill_disable: { read: bool, set: (r, v) => (r.oomKillDisable = v as boolean) },
  oom_score_adj: { read: int(-1000, 1000), set: (r, v) => (r.oomScoreAdj = v as number) },
};

/** The service keys this module reads, each with the handler that records it in the layer. */
export const RESOURCE_KEY_HANDLERS: [
  string,
  (n: Node, layer: ServiceLayer, ctx: LoadContext) => void,
][] = Object.entries(RULES).map(([key, rule]) => [
  key,
  (n, layer, ctx) => {
    const value = rule.read(n, ctx);
    if (value !== undefined)
      layer.resourceKeys = { ...layer.resourceKeys, [key]: { value, pos: n.pos } };
  },
]);

/**
 * The model's resources: deploy.resources, `gpus` after deploy's device requests, and the
 * service-level keys. A key that deploy.resources also sets must have the same value (compose
 * rejects the project otherwise); the problem points at the service-level key.
 */
export function finalizeResources(l: ServiceLayer, ctx: LoadContext): ResourcesSpec {
  const d = l.resources;
  const out: ResourcesSpec = {
    limits: { ...d?.limits },
    reservations: {
      ...d?.reservations,
      devices: [...(d?.reservations.devices ?? []), ...(l.gpus ?? []), ...(l.cdiDevices ?? [])],
    },
  };
  for (const [key, placed] of Object.entries(l.resourceKeys ?? {})) {
    const rule = RULES[key]!;
    const deployed = rule.deploy?.get(out);
    if (rule.deploy && deployed !== undefined && deployed !== placed.value) {
      const other = `deploy.resources.${rule.deploy.key}`;
      const at = d?.at?.[rule.deploy.key];
      ctx.problems.add(
        placed.pos,
        `service "${l.name}": ${key} is ${String(placed.value)} but ${other} is ${deployed}`,
        `Keep one of ${key} and ${other}${at ? ` (at ${formatPos(at)})` : ''}, or make them equal.`,
      );
      continue;
    }
    rule.set(out, placed.value);
  }
  checkCombinations(l, out, ctx);
  return out;
}

/** What the engine would refuse at create time, reported where the user wrote it. */
function checkCombinations(l: ServiceLayer, r: ResourcesSpec, ctx: LoadContext): void {
  const keys = l.resourceKeys ?? {};
  const swap = keys.memswap_limit;
  const swapBytes = r.limits.memorySwapBytes ?? 0;
  const memory = r.limits.memoryBytes;
  if (swap && swapBytes > 0 && (memory === undefined || memory > swapBytes)) {
    ctx.problems.add(
      swap.pos,
      memory === undefined
        ? `service "${l.name}": memswap_limit needs a memory limit`
        : `service "${l.name}": memswap_limit (${String(swap.value)}) is below the memory limit (${memory})`,
      'memswap_limit counts memory and swap together: set mem_limit, and a memswap_limit at least as large (or -1 for unlimited swap).',
    );
  }
  const cfs = keys.cpu_period ?? keys.cpu_quota;
  if (cfs && (r.limits.cpus ?? 0) > 0) {
    ctx.problems.add(
      cfs.pos,
      `service "${l.name}": cpu_period and cpu_quota cannot be combined with a cpus limit`,
      'Keep cpus (or deploy.resources.limits.cpus), or the CFS period and quota: the engine accepts only one of them.',
    );
  }
}
