import { checkKeys, ignored } from './keys.js';
import type { MountSpec } from './model.js';
import type { LoadContext, Node } from './node.js';
import { resolveHostPath } from './paths.js';
import { bool, oneOf, setDefined, size, str, typeError } from './read.js';

export const RESOURCE_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
const SHORT_HINT =
  'Write "SOURCE:TARGET[:ro]" (a named volume or a path starting with ".", "/" or "~") or just "TARGET" for an anonymous volume.';
const PROPAGATION = ['shared', 'rshared', 'slave', 'rslave', 'private', 'rprivate'];
// macOS file-sharing hints that Linux engines ignore, as compose does.
const IGNORED_MODES = ['cached', 'delegated', 'consistent'];

/**
 * Unix permission bits written in octal. YAML 1.2 reads `0755` as the decimal 755, so a
 * number is taken digit by digit as octal: that is what everyone writing a mode means.
 */
function octalMode(n: Node, ctx: LoadContext): number | undefined {
  if (n.isNull) return undefined;
  const text =
    typeof n.value === 'number' || typeof n.value === 'string'
      ? String(n.value).replace(/^0o/, '')
      : '';
  if (/^[0-7]{1,4}$/.test(text)) return parseInt(text, 8);
  return typeError(
    n,
    ctx,
    'an octal file mode',
    'Write the permission bits in octal, e.g. mode: "1777" or mode: "0755".',
  );
}

/** bind.propagation: applied through the engine's bind options, as compose does. */
function propagationOf(n: Node, ctx: LoadContext): { propagation?: string } {
  if (n.isNull) return {};
  const p = oneOf(n, ctx, PROPAGATION);
  return p === undefined ? {} : { propagation: p };
}

function targetOk(target: string, n: Node, ctx: LoadContext): boolean {
  if (target.startsWith('/')) return true;
  ctx.problems.add(
    n.pos,
    `${n.label}: the container path "${target}" must be absolute`,
    'Start the container path with "/".',
  );
  return false;
}

function shortVolume(n: Node, text: string, ctx: LoadContext): MountSpec | undefined {
  const parts = text.split(':');
  if (parts.length > 3 || parts.some((p) => p === '')) {
    ctx.problems.add(n.pos, `${n.label}: invalid volume "${text}"`, SHORT_HINT);
    return undefined;
  }
  const [source, target, mode = ''] = parts.length === 1 ? [undefined, parts[0]!] : parts;
  if (!targetOk(target!, n, ctx)) return undefined;
  const flags = mode.split(',').filter((f) => f !== '');
  let readOnly = false;
  let noCopy = false;
  let propagation: string | undefined;
  for (const f of flags) {
    if (f === 'ro' || f === 'rw') readOnly = f === 'ro';
    else if (f === 'nocopy') noCopy = true;
    else if (f === 'z' || f === 'Z') {
      ignored(n, `SELinux relabel option "${f}": stackcheck does not pass it to the engine`, ctx);
    } else if (PROPAGATION.includes(f)) {
      propagation = f;
    } else if (!IGNORED_MODES.includes(f)) {
      ctx.problems.add(
        n.pos,
        `${n.label}: unknown volume option "${f}"`,
        'Use ro or rw (nocopy for a named volume, a propagation mode such as rslave for a host path).',
      );
      return undefined;
    }
  }
  if (source === undefined)
    return { type: 'volume', target: target!, readOnly, noCopy, pos: n.pos };
  if (/^[./~]/.test(source)) {
    if (noCopy)
      ctx.problems.add(
        n.pos,
        `${n.label}: "nocopy" applies to named volumes, not to a host path`,
        'Remove nocopy.',
      );
    return {
      type: 'bind',
      source: resolveHostPath(source, ctx.projectDir),
      target: target!,
      readOnly,
      createHostPath: true,
      ...(propagation !== undefined && { propagation }),
      pos: n.pos,
    };
  }
  if (!RESOURCE_NAME.test(source)) {
    ctx.problems.add(
      n.pos,
      `${n.label}: "${source}" is neither a volume name nor a host path`,
      'Start a host path with "./", "/" or "~"; volume names use letters, digits, "_", "." and "-".',
    );
    return undefined;
  }
  return { type: 'volume', source, target: target!, readOnly, noCopy, pos: n.pos };
}

/** Mount types compose accepts that a single Linux engine here cannot take. */
const IGNORED_TYPES: Record<string, string> = {
  npipe: 'Windows named pipes only',
  cluster: 'Swarm cluster volumes only',
  image: 'needs Engine API 1.48, and stackcheck does not pass it to the engine',
};

const LONG_KEYS = ['type', 'source', 'target', 'read_only', 'bind', 'volume', 'tmpfs'];
const SUB_OPTIONS = {
  bind: ['create_host_path', 'propagation'],
  volume: ['nocopy'],
  tmpfs: ['size', 'mode'],
} as const;

function longVolume(n: Node, ctx: LoadContext): MountSpec | undefined {
  const typeNode = n.child('type');
  const why = IGNORED_TYPES[String(typeNode.value)];
  if (why !== undefined) {
    ignored(n, `a mount of type ${String(typeNode.value)}: ${why}`, ctx);
    return undefined;
  }
  checkKeys(n, LONG_KEYS, 'mount', ctx);
  const type = oneOf(typeNode, ctx, ['volume', 'bind', 'tmpfs'] as const);
  if (typeNode.isNull)
    ctx.problems.add(n.pos, `${n.label}: a mount needs "type"`, 'Add type: volume, bind or tmpfs.');
  const target = str(n.child('target'), ctx);
  if (target === undefined)
    ctx.problems.add(
      n.pos,
      `${n.label}: a mount needs "target"`,
      'Add target: /path/in/container.',
    );
  const source = str(n.child('source'), ctx);
  const readOnly = bool(n.child('read_only'), ctx) ?? false;
  for (const kind of ['bind', 'volume', 'tmpfs'] as const) {
    const sub = n.child(kind);
    if (sub.isNull) continue;
    if (kind !== type) {
      ctx.problems.add(
        sub.keyPos,
        `${sub.label}: "${kind}" options do not apply to a mount of type ${type ?? '?'}`,
        `Remove "${kind}:" or set type: ${kind}.`,
      );
    } else if (!sub.isMap()) {
      typeError(sub, ctx, 'a mapping', `Write ${kind} options as "key: value" lines.`);
    } else {
      checkKeys(sub, SUB_OPTIONS[kind], `${kind} options`, ctx);
    }
  }
  if (type === undefined || target === undefined || !targetOk(target, n.child('target'), ctx))
    return undefined;
  switch (type) {
    case 'bind':
      if (source === undefined) {
        ctx.problems.add(
          n.pos,
          `${n.label}: a bind mount needs "source" (the host path)`,
          'Add source: ./path/on/host.',
        );
        return undefined;
      }
      return {
        type,
        source: resolveHostPath(source, ctx.projectDir),
        target,
        readOnly,
        createHostPath: bool(n.child('bind').child('create_host_path'), ctx) ?? true,
        ...propagationOf(n.child('bind').child('propagation'), ctx),
        pos: n.pos,
      };
    case 'volume':
      if (source !== undefined && !RESOURCE_NAME.test(source)) {
        ctx.problems.add(
          n.child('source').pos,
          `${n.label}.source: "${source}" is not a volume name`,
          'For a host path use type: bind.',
        );
        return undefined;
      }
      return {
        type,
        ...(source !== undefined ? { source } : {}),
        target,
        readOnly,
        noCopy: bool(n.child('volume').child('nocopy'), ctx) ?? false,
        pos: n.pos,
      };
    case 'tmpfs': {
      if (source !== undefined)
        ctx.problems.add(
          n.child('source').pos,
          `${n.label}: a tmpfs mount has no source`,
          'Remove source.',
        );
      const sizeBytes = size(n.child('tmpfs').child('size'), ctx);
      const mode = octalMode(n.child('tmpfs').child('mode'), ctx);
      return {
        type,
        target,
        ...(sizeBytes !== undefined ? { sizeBytes } : {}),
        ...(mode !== undefined ? { mode } : {}),
        pos: n.pos,
      };
    }
  }
}

export function normalizeVolumes(n: Node, ctx: LoadContext): MountSpec[] | undefined {
  if (n.isNull) return undefined;
  if (!n.isList()) return typeError(n, ctx, 'a list', `Write volumes as a list. ${SHORT_HINT}`);
  return n.items().flatMap((item) => {
    if (item.isMap()) return longVolume(item, ctx) ?? [];
    const text = str(item, ctx);
    return text === undefined ? [] : (shortVolume(item, text, ctx) ?? []);
  });
}

/** The service-level `tmpfs:` key: `/path` or `/path:size=64m,mode=1777`, alone or in a list. */
export function normalizeTmpfs(n: Node, ctx: LoadContext): MountSpec[] | undefined {
  if (n.isNull) return undefined;
  return (n.isList() ? n.items() : [n]).flatMap((item): MountSpec[] => {
    const text = str(item, ctx);
    if (text === undefined) return [];
    const colon = text.indexOf(':');
    const target = colon < 0 ? text : text.slice(0, colon);
    if (!targetOk(target, item, ctx)) return [];
    const mount: MountSpec = { type: 'tmpfs', target, pos: item.pos };
    for (const opt of colon < 0 ? [] : text.slice(colon + 1).split(',')) {
      const [k, v = ''] = opt.split('=', 2) as [string, string?];
      const value = item.withValue(v);
      if (k === 'size') setDefined(mount, 'sizeBytes', size(value, ctx));
      else if (k === 'mode') setDefined(mount, 'mode', octalMode(value, ctx));
      else ignored(item, `tmpfs option "${k}": stackcheck applies size and mode only`, ctx);
    }
    return [mount];
  });
}

/** compose rejects two mounts on one container path within a file; across files the later one wins (merge). */
export function checkDuplicateTargets(mounts: MountSpec[], ctx: LoadContext): void {
  const seen = new Set<string>();
  for (const m of mounts) {
    if (seen.has(m.target)) {
      ctx.problems.add(
        m.pos,
        `two mounts use the container path ${m.target}`,
        'Keep one mount per container path.',
      );
    }
    seen.add(m.target);
  }
}
