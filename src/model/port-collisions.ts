import { formatPos } from '../common/errors.js';
import type { PortSpec } from '../compose/model.js';
import type { Suite, TopologySpec } from './suite.js';
import { isWildcard } from '../common/host-address.js';

/**
 * The host ports a suite's compose models publish, and where they collide: read from the
 * models alone, so `stackcheck validate` finds them before anything starts.
 */

/** One published port (or range) of one service, with where it was written. */
export interface Binding {
  topology: string;
  node: string;
  service: string;
  replicas: number;
  spec: PortSpec;
  /** First and last host port it may bind (a range's whole span). */
  lo: number;
  hi: number;
  /** undefined: every address (no host IP, 0.0.0.0 or ::), which overlaps any other. */
  ip?: string;
}

export interface Collision {
  a: Binding;
  b: Binding;
  /** The shared host ports. */
  lo: number;
  hi: number;
  /** Several replicas of one service on one fixed port (b is a). */
  replicas?: true;
}

export interface PublishedPorts {
  bindings: Binding[];
  /** Topologies left out: their host ports are picked by the engine at run time. */
  ephemeral: string[];
}

/**
 * Every declared host port of every topology; a topology with `publish: ephemeral` is left
 * out (listed) unless `declared` asks to judge its files as written.
 */
export function publishedPorts(
  suite: Pick<Suite, 'topologies'>,
  opts: { declared?: boolean } = {},
): PublishedPorts {
  const bindings: Binding[] = [];
  const ephemeral: string[] = [];
  for (const t of suite.topologies) {
    if (t.publish === 'ephemeral' && !opts.declared) {
      ephemeral.push(t.name);
      continue;
    }
    bindings.push(...topologyBindings(t));
  }
  return { bindings, ephemeral };
}

function topologyBindings(t: TopologySpec): Binding[] {
  return Object.values(t.project.services).flatMap((s) =>
    s.ports
      .filter((p) => p.published !== undefined)
      .map((p) => ({
        topology: t.name,
        node: t.node,
        service: s.name,
        replicas: s.replicas,
        spec: p,
        lo: p.published!,
        hi: p.publishedEnd ?? p.published!,
        ip: p.hostIp === undefined || isWildcard(p.hostIp) ? undefined : p.hostIp,
      })),
  );
}

function ipsOverlap(a: Binding, b: Binding): boolean {
  return a.ip === undefined || b.ip === undefined || a.ip === b.ip;
}

/**
 * Pairs of bindings that would ask one host for the same port, protocol and address: on the
 * same node (`node`), or anywhere in the suite (`suite`, as if every topology shared one host).
 * A service whose replicas share one fixed host port collides with itself.
 */
export function findCollisions(bindings: Binding[], scope: 'node' | 'suite'): Collision[] {
  const out: Collision[] = [];
  for (const b of bindings) {
    if (b.replicas > 1 && b.hi - b.lo + 1 < b.replicas) {
      out.push({ a: b, b, lo: b.lo, hi: b.hi, replicas: true });
    }
  }
  for (let i = 0; i < bindings.length; i++) {
    for (let j = i + 1; j < bindings.length; j++) {
      const a = bindings[i]!;
      const b = bindings[j]!;
      if (scope === 'node' && a.node !== b.node) continue;
      if (a.spec.protocol !== b.spec.protocol || !ipsOverlap(a, b)) continue;
      const lo = Math.max(a.lo, b.lo);
      const hi = Math.min(a.hi, b.hi);
      if (lo <= hi) out.push({ a, b, lo, hi });
    }
  }
  return out;
}

/** Parses "50000-50999" (or one port, "8080"); a message when it is not a valid range. */
export function parsePortRange(text: string): [number, number] | string {
  const m = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(text);
  if (!m) return `"${text}" is not a port range; write it like "50000-50999"`;
  const lo = Number(m[1]);
  const hi = m[2] === undefined ? lo : Number(m[2]);
  if (lo < 1 || hi > 65535) return `"${text}": ports are 1-65535`;
  if (lo > hi) return `"${text}": the range starts after it ends`;
  return [lo, hi];
}

/** Bindings that may bind a host port outside the range they are held to (none: not judged). */
export function outsideRange(
  bindings: Binding[],
  rangeOf: (b: Binding) => [number, number] | undefined,
): Binding[] {
  return bindings.filter((b) => {
    const r = rangeOf(b);
    return r !== undefined && (b.lo < r[0] || b.hi > r[1]);
  });
}

/** `8080`, or `8000-8010` for a range. */
export function hostPorts(lo: number, hi: number): string {
  return lo === hi ? String(lo) : `${lo}-${hi}`;
}

/** The port as compose writes it: `127.0.0.1:8080:80/tcp`. */
export function portText(p: PortSpec): string {
  const host =
    p.published === undefined ? '' : `${hostPorts(p.published, p.publishedEnd ?? p.published)}:`;
  const ip =
    p.hostIp === undefined ? '' : p.hostIp.includes(':') ? `[${p.hostIp}]:` : `${p.hostIp}:`;
  return `${ip}${host}${p.target}/${p.protocol}`;
}

/** How a binding is named in messages: `topology/service "8080:80/tcp" (file:line:col)`. */
export function describeBinding(b: Binding): string {
  return `${b.topology}/${b.service} "${portText(b.spec)}" (${formatPos(b.spec.pos)})`;
}

/** The evidence form of a binding. */
export function bindingEvidence(b: Binding) {
  return {
    service: `${b.topology}/${b.service}`,
    node: b.node,
    port: portText(b.spec),
    at: formatPos(b.spec.pos),
  };
}

export function describeCollision(c: Collision): string {
  const port = `host port ${hostPorts(c.lo, c.hi)}/${c.a.spec.protocol}`;
  if (c.replicas) {
    return `${port}: ${c.a.replicas} replicas of ${describeBinding(c.a)} cannot all bind it; publish a range of at least ${c.a.replicas} ports, or no host port`;
  }
  const where =
    c.a.node === c.b.node
      ? `on node ${c.a.node}`
      : `on nodes ${c.a.node} and ${c.b.node} (scope: suite)`;
  return `${port} ${where}: ${describeBinding(c.a)} collides with ${describeBinding(c.b)}`;
}
