import type { SourcePos } from '../common/errors.js';
import type { ServiceLayer } from './layer.js';
import type { VolumesFromSpec } from './model.js';
import type { LoadContext, Node } from './node.js';
import { oneOf, str, typeError } from './read.js';

/*
 * `pid`, `ipc`, `uts`, `network_mode` and `volumes_from`: which namespaces a container uses,
 * and whose volumes it mounts. `service:X` shares X's (its first container's, when X has
 * replicas, as compose does) and `container:NAME` a container outside the project. The
 * reference stays as written here; the orchestrator turns `service:X` into `container:<X's
 * container>` when it creates the container, since stackcheck names containers per run.
 */

const SHARED = /^(service|container):(.+)$/;

/** The key a `service:`/`container:` reference was written under, where, for later checks. */
export type SharedKey = 'network_mode' | 'ipc' | 'pid';

function remember(l: ServiceLayer, key: SharedKey, n: Node): void {
  l.sharedAt = { ...l.sharedAt, [key]: n.pos };
}

function mode<T extends string>(
  n: Node,
  ctx: LoadContext,
  modes: readonly T[],
): T | `service:${string}` | `container:${string}` | undefined {
  if (typeof n.value === 'string' && SHARED.test(n.value))
    return n.value as `service:${string}` | `container:${string}`;
  return oneOf(n, ctx, modes);
}

export function pidMode(n: Node, l: ServiceLayer, ctx: LoadContext): ServiceLayer['pid'] {
  const v = mode(n, ctx, ['host'] as const);
  if (v !== undefined && v !== 'host') remember(l, 'pid', n);
  return v;
}

export function ipcMode(n: Node, l: ServiceLayer, ctx: LoadContext): ServiceLayer['ipc'] {
  const v = mode(n, ctx, ['host', 'private', 'shareable', 'none'] as const);
  if (v !== undefined && SHARED.test(v)) remember(l, 'ipc', n);
  return v;
}

/** The engine knows only the host's UTS namespace besides a private one. */
export function utsMode(n: Node, ctx: LoadContext): 'host' | undefined {
  const other = typeof n.value === 'string' ? SHARED.exec(n.value) : null;
  if (other) {
    ctx.problems.add(
      n.pos,
      `${n.label}: joining another ${other[1]}'s uts namespace ("${String(n.value)}") is not supported by the Docker engine`,
      'Use uts: host, or remove uts.',
    );
    return undefined;
  }
  return oneOf(n, ctx, ['host'] as const);
}

export function networkMode(n: Node, l: ServiceLayer, ctx: LoadContext): string | undefined {
  const v = str(n, ctx);
  if (v !== undefined && SHARED.test(v)) remember(l, 'network_mode', n);
  return v;
}

/** `volumes_from: [db, db:ro, container:name, container:name:rw]`. */
export function volumesFrom(n: Node, ctx: LoadContext): VolumesFromSpec[] | undefined {
  if (n.isNull) return undefined;
  if (!n.isList())
    return typeError(n, ctx, 'a list', 'Write volumes_from: [service] or [container:name:ro].');
  return n.items().flatMap((item): VolumesFromSpec[] => {
    const text = str(item, ctx);
    if (text === undefined) return [];
    const parts = text.split(':');
    const external = parts[0] === 'container';
    const [name, access, ...rest] = external ? parts.slice(1) : parts;
    if (!name || rest.length > 0 || (access !== undefined && access !== 'ro' && access !== 'rw')) {
      ctx.problems.add(
        item.pos,
        `${item.label}: "${text}" is not a volumes_from entry`,
        'Write SERVICE, SERVICE:ro, SERVICE:rw, or container:NAME with :ro or :rw.',
      );
      return [];
    }
    return [
      {
        ...(external ? { container: name } : { service: name }),
        readOnly: access === 'ro',
        pos: item.pos,
      },
    ];
  });
}

/** The service a `service:X` reference names, else undefined. */
export function sharedService(value: string | undefined): string | undefined {
  const m = value === undefined ? null : SHARED.exec(value);
  return m?.[1] === 'service' ? m[2] : undefined;
}

/**
 * The services whose namespaces or volumes `s` uses, each with where it was written: compose
 * makes each one a dependency (service_started), so it is started first.
 */
export function sharedTargets(
  s: ServiceLayer,
): { service: string; what: string; pos: SourcePos; restart: boolean }[] {
  const out: { service: string; what: string; pos: SourcePos; restart: boolean }[] = [];
  const keys: [SharedKey, string | undefined][] = [
    ['network_mode', s.networkMode],
    ['ipc', s.ipc],
    ['pid', s.pid],
  ];
  for (const [key, value] of keys) {
    const service = sharedService(value);
    if (service !== undefined)
      out.push({
        service,
        what: key === 'network_mode' ? 'joins the network of' : `shares the ${key} namespace of`,
        pos: s.sharedAt?.[key] ?? s.pos,
        restart: true,
      });
  }
  for (const v of s.volumesFrom ?? [])
    if (v.service !== undefined)
      out.push({ service: v.service, what: 'mounts the volumes of', pos: v.pos, restart: false });
  return out;
}
