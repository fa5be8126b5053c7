import { isIP } from 'node:net';
import { checkKeys } from './keys.js';
import type { PortSpec, ServiceSpec } from './model.js';
import type { LoadContext, Node } from './node.js';
import { num, oneOf, str, typeError } from './read.js';

type Protocol = PortSpec['protocol'];
const PROTOCOLS: readonly Protocol[] = ['tcp', 'udp', 'sctp'];
const PORT_HINT =
  'Write "CONTAINER", "HOST:CONTAINER" or "IP:HOST:CONTAINER", each side a port or range, optionally with /tcp, /udp or /sctp.';

type Range = readonly [number, number];

/** `80` or `9000-9002`; undefined when not a valid port or range. */
function parseRange(text: string): Range | undefined {
  const m = /^(\d+)(?:-(\d+))?$/.exec(text.trim());
  if (!m) return undefined;
  const a = Number(m[1]);
  const b = m[2] === undefined ? a : Number(m[2]);
  return a >= 1 && b <= 65535 && a <= b ? [a, b] : undefined;
}

function splitProtocol(text: string): { body: string; protocol: string } {
  const slash = text.lastIndexOf('/');
  return slash < 0
    ? { body: text, protocol: 'tcp' }
    : { body: text.slice(0, slash), protocol: text.slice(slash + 1) };
}

/**
 * Pairs a host side with a container side as Docker does: equal-sized ranges map port by
 * port; a host range for one container port lets the engine pick from the range.
 */
function expand(
  container: Range,
  host: Range | undefined,
  common: { hostIp?: string; protocol: Protocol },
): Omit<PortSpec, 'pos'>[] | string {
  const [cs, ce] = container;
  if (!host) return range(cs, ce).map((target) => ({ target, ...common }));
  const [hs, he] = host;
  if (he - hs === ce - cs)
    return range(cs, ce).map((target, i) => ({ target, published: hs + i, ...common }));
  if (cs === ce) return [{ target: cs, published: hs, publishedEnd: he, ...common }];
  return `host range ${hs}-${he} and container range ${cs}-${ce} differ in size`;
}

function range(a: number, b: number): number[] {
  return Array.from({ length: b - a + 1 }, (_, i) => a + i);
}

/** compose's short syntax: `[[IP:](port|range):](port|range)[/protocol]`, IPv6 optionally in brackets. */
export function parseShortPort(text: string): Omit<PortSpec, 'pos'>[] | string {
  const { body: withIp, protocol } = splitProtocol(text.trim());
  if (!(PROTOCOLS as readonly string[]).includes(protocol)) return `unknown protocol "${protocol}"`;
  let body = withIp;
  let hostIp: string | undefined;
  if (body.startsWith('[')) {
    const close = body.indexOf(']');
    if (close < 0 || body[close + 1] !== ':')
      return 'a bracketed IPv6 address must be followed by ":"';
    hostIp = body.slice(1, close);
    body = body.slice(close + 2);
  }
  const parts = body.split(':');
  if (hostIp === undefined && parts.length > 2) {
    // Everything before the last two fields is the address, which keeps bare IPv6 (`::1:80:80`) whole.
    hostIp = parts.slice(0, -2).join(':');
    parts.splice(0, parts.length - 2);
  }
  if (parts.length > 2) return 'too many ":"-separated fields';
  if (hostIp !== undefined && isIP(hostIp) === 0) return `"${hostIp}" is not an IP address`;
  const containerText = parts[parts.length - 1]!;
  const hostText = parts.length === 2 ? parts[0]! : '';
  const container = parseRange(containerText);
  if (!container) return `"${containerText}" is not a port (1-65535) or a range of ports`;
  const host = hostText === '' ? undefined : parseRange(hostText);
  if (hostText !== '' && !host) return `"${hostText}" is not a port (1-65535) or a range of ports`;
  return expand(container, host, {
    ...(hostIp !== undefined ? { hostIp } : {}),
    protocol: protocol as Protocol,
  });
}

const LONG_KEYS = ['target', 'published', 'host_ip', 'protocol', 'mode', 'name', 'app_protocol'];

function longPort(n: Node, ctx: LoadContext): PortSpec[] {
  checkKeys(n, LONG_KEYS, 'port', ctx);
  const target = n.has('target')
    ? num(n.child('target'), ctx, { integer: true, min: 1, max: 65535 })
    : undefined;
  if (!n.has('target'))
    ctx.problems.add(
      n.pos,
      `${n.label}: a port needs "target" (the container port)`,
      'Add target: <container port>.',
    );
  const publishedText = str(n.child('published'), ctx);
  const published =
    publishedText === undefined || publishedText === '' ? undefined : parseRange(publishedText);
  if (publishedText && !published) {
    ctx.problems.add(
      n.child('published').pos,
      `${n.label}.published: "${publishedText}" is not a port or a range of ports`,
      'Write a host port such as "8080", or a range such as "8000-8010".',
    );
  }
  const hostIp = str(n.child('host_ip'), ctx);
  if (hostIp !== undefined && isIP(hostIp) === 0) {
    ctx.problems.add(
      n.child('host_ip').pos,
      `${n.label}.host_ip: "${hostIp}" is not an IP address`,
      'Write an address such as 127.0.0.1 or ::1.',
    );
  }
  const protocol = n.has('protocol') ? oneOf(n.child('protocol'), ctx, PROTOCOLS) : 'tcp';
  // Both modes publish the same way on a single engine; swarm's ingress routing does not apply.
  oneOf(n.child('mode'), ctx, ['host', 'ingress']);
  const name = str(n.child('name'), ctx);
  const appProtocol = str(n.child('app_protocol'), ctx);
  if (target === undefined || protocol === undefined || (publishedText && !published)) return [];
  const specs = expand([target, target], published, {
    ...(hostIp !== undefined ? { hostIp } : {}),
    protocol,
  });
  if (typeof specs === 'string') return [];
  return specs.map((s) => ({
    ...s,
    ...(name !== undefined ? { name } : {}),
    ...(appProtocol !== undefined ? { appProtocol } : {}),
    pos: n.pos,
  }));
}

export function normalizePorts(n: Node, ctx: LoadContext): PortSpec[] | undefined {
  if (n.isNull) return undefined;
  if (!n.isList())
    return typeError(
      n,
      ctx,
      'a list',
      `Write ports as a list, e.g. ports: ["8080:80"]. ${PORT_HINT}`,
    );
  return n.items().flatMap((item) => {
    if (item.isMap()) return longPort(item, ctx);
    const text = str(item, ctx);
    if (text === undefined) return [];
    const specs = parseShortPort(text);
    if (typeof specs === 'string') {
      ctx.problems.add(item.pos, `${item.label}: invalid port "${text}": ${specs}`, PORT_HINT);
      return [];
    }
    return specs.map((s) => ({ ...s, pos: item.pos }));
  });
}

export function normalizeExpose(n: Node, ctx: LoadContext): ServiceSpec['expose'] | undefined {
  if (n.isNull) return undefined;
  if (!n.isList())
    return typeError(
      n,
      ctx,
      'a list',
      'Write expose as a list, e.g. expose: ["3000", "8080-8085/tcp"].',
    );
  return n.items().flatMap((item) => {
    const text = str(item, ctx);
    if (text === undefined) return [];
    const { body, protocol } = splitProtocol(text.trim());
    const ports = parseRange(body);
    if (!ports || !(PROTOCOLS as readonly string[]).includes(protocol)) {
      ctx.problems.add(
        item.pos,
        `${item.label}: invalid exposed port "${text}"`,
        'Write a container port or range, optionally with a protocol: "3000", "8080-8085/udp".',
      );
      return [];
    }
    return range(ports[0], ports[1]).map((port) => ({ port, protocol: protocol as Protocol }));
  });
}
