import type { z } from 'zod';
import type { NodeSpec, Suite } from '../../model/suite.js';
import { tryBind } from '../host-ports.js';
import {
  bindingEvidence,
  describeBinding,
  describeCollision,
  findCollisions,
  hostPorts,
  outsideRange,
  parsePortRange,
  publishedPorts,
  type Binding,
} from '../../model/port-collisions.js';
import type { Runtime } from '../../live/runtime.js';
import { defineKind } from '../../live/check.js';
import type { Outcome } from '../../model/check.js';
import { portsSchema, type PortsSpec } from './ports.schema.js';

type Spec = z.output<typeof PortsSpec>;

/** How many messages of each sort the one-line message names; the evidence has them all. */
const MESSAGE_ITEMS = 5;
/** A host-port range is probed port by port; this bounds the work for a very wide range. */
const MAX_PROBES_PER_RANGE = 1000;

export const ports = defineKind({
  ...portsSchema,
  async attempt(c, ctx) {
    return judgePorts(c.ports, ctx.suite, ctx.runtime, ctx.signal);
  },
});

interface RunnerReport {
  checked: number;
  busy: (ReturnType<typeof bindingEvidence> & {
    hostPort: string;
    error: string;
    message: string;
  })[];
  ownedByRun: { service: string; hostPort: string; container: string }[];
  notChecked: { service?: string; topology?: string; port?: string; reason: string }[];
}

/** The whole verdict: collisions, ports outside the range, ports busy on this machine. */
export async function judgePorts(
  spec: Spec,
  suite: Pick<Suite, 'topologies' | 'nodes'>,
  runtime: Runtime | undefined,
  signal: AbortSignal,
): Promise<Outcome> {
  const { bindings, ephemeral } = publishedPorts(suite, { declared: spec.declared });
  const collisions = findCollisions(bindings, spec.scope);
  const ranges = heldRanges(spec, suite);
  const outside = outsideRange(bindings, (b) => ranges.of(b)?.bounds);
  const outOfRangeText = (b: Binding) => outsideMessage(b, ranges.of(b)!.text);
  const runner = spec.runner ? await probeRunner(bindings, suite, runtime, signal) : undefined;

  const evidence: Record<string, unknown> = {
    scope: spec.scope,
    judged: {
      topologies: suite.topologies.filter((t) => !ephemeral.includes(t.name)).map((t) => t.name),
      publishedPorts: bindings.length,
    },
    ...(ephemeral.length && {
      notJudged: ephemeral.map((t) => ({
        topology: t,
        reason:
          'publish: ephemeral (the engine picks free host ports); set `declared: true` to judge the ports its files declare',
      })),
    }),
    collisions: collisions.map((x) => ({
      hostPorts: hostPorts(x.lo, x.hi),
      protocol: x.a.spec.protocol,
      ...(x.replicas
        ? { replicas: x.a.replicas, service: bindingEvidence(x.a) }
        : { a: bindingEvidence(x.a), b: bindingEvidence(x.b) }),
      message: describeCollision(x),
    })),
    ...(ranges.evidence && {
      ...ranges.evidence,
      outOfRange: outside.map((b) => ({ ...bindingEvidence(b), message: outOfRangeText(b) })),
    }),
    ...(runner && { runner }),
  };

  const problems = [
    ...collisions.map(describeCollision),
    ...outside.map(outOfRangeText),
    ...(runner?.busy ?? []).map((b) => `${b.service} "${b.port}" (${b.at}): ${b.message}`),
  ];
  if (problems.length) {
    const counts = [
      count(collisions.length, 'collision'),
      count(outside.length, ...ranges.outside),
      count(runner?.busy.length ?? 0, 'port busy on this machine', 'ports busy on this machine'),
    ].filter(Boolean);
    const more =
      problems.length > MESSAGE_ITEMS
        ? `; and ${problems.length - MESSAGE_ITEMS} more (see evidence)`
        : '';
    return {
      status: 'failed',
      message: `${counts.join(', ')}: ${problems.slice(0, MESSAGE_ITEMS).join('; ')}${more}`,
      evidence,
    };
  }
  if (bindings.length === 0 && ephemeral.length > 0) {
    return {
      status: 'skipped',
      message: `nothing to judge: ${ephemeral.join(', ')} publish${ephemeral.length === 1 ? 'es' : ''} ephemerally (the engine picks free host ports); set \`declared: true\` to judge the host ports the compose files declare`,
      evidence,
    };
  }
  if (runner && runner.checked + runner.ownedByRun.length === 0 && runner.notChecked.length > 0) {
    return {
      status: 'skipped',
      message: `no collisions in the compose models, but the runner check could not run: ${runner.notChecked[0]!.reason}`,
      evidence,
    };
  }
  const notes = [
    ephemeral.length
      ? `${ephemeral.length} ephemeral topolog${ephemeral.length === 1 ? 'y' : 'ies'} not judged`
      : '',
    runner ? `${runner.checked} free on this machine` : '',
    runner?.notChecked.length ? `${runner.notChecked.length} not probed` : '',
  ].filter(Boolean);
  return {
    status: 'passed',
    message:
      `${count(bindings.length, 'published host port') || 'no published host ports'}, no collisions` +
      `${ranges.evidence ? `, all within ${ranges.within}` : ''}${notes.length ? ` (${notes.join('; ')})` : ''}`,
    evidence,
  };
}

interface HeldRange {
  /** How messages name it: `50000-50999`, or `node pc2's portRange 50100-50799`. */
  text: string;
  bounds: [number, number];
}

interface HeldRanges {
  of: (b: Binding) => HeldRange | undefined;
  /** Absent when no port is range-checked. */
  evidence?: { range: string } | { nodeRanges: Record<string, string> };
  /** The failure count's words, one and many. */
  outside: [string, string];
  /** The pass message's words. */
  within: string;
}

/**
 * The range each published port is held to: the check's own `range`, else the `portRange` of
 * the node its topology runs on; a port on a node without one is not range-checked.
 */
function heldRanges(spec: Spec, suite: Pick<Suite, 'topologies' | 'nodes'>): HeldRanges {
  const bounds = (text: string) => parsePortRange(text) as [number, number];
  if (spec.range !== undefined) {
    const own: HeldRange = { text: spec.range, bounds: bounds(spec.range) };
    return {
      of: () => own,
      evidence: { range: spec.range },
      outside: [`port outside ${spec.range}`, `ports outside ${spec.range}`],
      within: spec.range,
    };
  }
  const placed = new Set(suite.topologies.map((t) => t.node));
  const nodeRanges: Record<string, string> = {};
  const held = new Map<string, HeldRange>();
  for (const n of Object.values(suite.nodes)) {
    if (n.portRange === undefined || !placed.has(n.name)) continue;
    nodeRanges[n.name] = n.portRange;
    held.set(n.name, {
      text: `node ${n.name}'s portRange ${n.portRange}`,
      bounds: bounds(n.portRange),
    });
  }
  return {
    of: (b) => held.get(b.node),
    ...(held.size && { evidence: { nodeRanges } }),
    outside: ["port outside its node's portRange", "ports outside their node's portRange"],
    within: `their node's portRange (${Object.entries(nodeRanges)
      .map(([node, r]) => `${node} ${r}`)
      .join(', ')})`,
  };
}

function count(n: number, one: string, many = `${one}s`): string {
  return n === 0 ? '' : `${n} ${n === 1 ? one : many}`;
}

function outsideMessage(b: Binding, range: string): string {
  return `${describeBinding(b)} publishes host port ${hostPorts(b.lo, b.hi)}, outside ${range}`;
}

/** The runner's own engine: a unix socket or named pipe, not a remote URL. */
export function isLocalNode(node: NodeSpec | undefined): boolean {
  const url = node?.docker ?? process.env.DOCKER_HOST;
  return url === undefined || url === '' || /^(unix|npipe):/.test(url);
}

/**
 * Binds each published port of the topologies on a local node: a port in use by something
 * other than this run's own containers is a collision the engine would hit on `up`.
 */
async function probeRunner(
  bindings: Binding[],
  suite: Pick<Suite, 'topologies' | 'nodes'>,
  runtime: Runtime | undefined,
  signal: AbortSignal,
): Promise<RunnerReport> {
  const report: RunnerReport = { checked: 0, busy: [], ownedByRun: [], notChecked: [] };
  const remote = [...new Set(bindings.map((b) => b.node))].filter(
    (n) => !isLocalNode(suite.nodes[n]),
  );
  for (const t of suite.topologies.filter((x) => remote.includes(x.node))) {
    report.notChecked.push({
      topology: t.name,
      reason: `node ${t.node} is not this machine's engine`,
    });
  }
  const owned = runtime ? await portsOfRun(runtime, signal) : new Map<string, string>();
  for (const b of bindings.filter((x) => !remote.includes(x.node))) {
    signal.throwIfAborted();
    const need = b.lo === b.hi ? 1 : Math.max(1, b.replicas);
    let free = 0;
    let firstBusy: { port: number; code: string; message: string } | undefined;
    for (
      let port = b.lo;
      port <= Math.min(b.hi, b.lo + MAX_PROBES_PER_RANGE - 1) && free < need;
      port++
    ) {
      const own = owned.get(`${b.node}|${port}/${b.spec.protocol}`);
      if (own) {
        report.ownedByRun.push({
          service: `${b.topology}/${b.service}`,
          hostPort: String(port),
          container: own,
        });
        free++;
        continue;
      }
      const v = await tryBind(port, b.spec.protocol, b.ip);
      if (v.free === undefined) {
        report.notChecked.push({
          service: `${b.topology}/${b.service}`,
          port: String(port),
          reason: v.reason,
        });
        free++;
      } else if (v.free) {
        report.checked++;
        free++;
      } else {
        firstBusy ??= { port, code: v.code, message: v.message };
        if (b.lo === b.hi || v.code === 'EADDRNOTAVAIL') break;
      }
    }
    if (free < need && firstBusy) {
      report.busy.push({
        ...bindingEvidence(b),
        hostPort: hostPorts(b.lo, b.hi),
        error: firstBusy.code,
        message:
          b.lo === b.hi
            ? firstBusy.message
            : `only ${free} of the ${need} ports needed are free in ${hostPorts(b.lo, b.hi)} (first busy: ${firstBusy.message})`,
      });
    }
  }
  return report;
}

/** Host ports this run's own containers hold, per node, so they do not count as foreign. */
async function portsOfRun(runtime: Runtime, signal: AbortSignal): Promise<Map<string, string>> {
  const owned = new Map<string, string>();
  const states = await Promise.all(
    runtime.replicasAll.map(async (r) => ({
      r,
      s: await runtime.inspect(r, signal).catch(() => undefined),
    })),
  );
  for (const { r, s } of states) {
    for (const p of s?.ports ?? [])
      if (p.hostPort > 0) owned.set(`${r.node}|${p.hostPort}/${p.protocol}`, r.containerName);
  }
  return owned;
}
