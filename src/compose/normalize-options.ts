import { checkKeys, ignored } from './keys.js';
import type { ServiceSpec } from './model.js';
import type { LoadContext, Node } from './node.js';
import { mapping, num, oneOf, str, strList, typeError } from './read.js';
import { shlexSplit } from './shlex.js';

/*
 * Service options that have a small syntax of their own: command lines, restart policies,
 * ulimits, extra hosts, pull policies, MAC addresses, platforms.
 */

/** A string is split like a shell would (no expansion); a list is kept as written. */
export function commandLine(n: Node, ctx: LoadContext): string[] | undefined {
  if (typeof n.value === 'string') {
    try {
      return shlexSplit(n.value);
    } catch (e) {
      ctx.problems.add(
        n.pos,
        `${n.label}: ${(e as Error).message}`,
        'Close the quote, or write the command as a list: ["prog", "arg"].',
      );
      return undefined;
    }
  }
  return strList(n, ctx);
}

const RESTART_HINT = 'Use "no", always, on-failure, on-failure:N (N retries) or unless-stopped.';

export function restartPolicy(n: Node, ctx: LoadContext): ServiceSpec['restart'] {
  // YAML 1.1 files may still read an unquoted `no` as false.
  if (n.value === false) return { policy: 'no' };
  const text = str(n, ctx);
  if (text === undefined) return undefined;
  if (text === 'no' || text === 'always' || text === 'unless-stopped' || text === 'on-failure')
    return { policy: text };
  const m = /^on-failure:(\d+)$/.exec(text);
  if (m) return { policy: 'on-failure', maxRetries: Number(m[1]) };
  ctx.problems.add(n.pos, `${n.label}: unknown restart policy "${text}"`, RESTART_HINT);
  return undefined;
}

export function ulimits(n: Node, ctx: LoadContext): ServiceSpec['ulimits'] | undefined {
  return mapping(n, ctx)?.flatMap((e) => {
    if (!e.isMap()) {
      const v = num(e, ctx, { integer: true, min: -1 });
      return v === undefined ? [] : [{ name: e.key, soft: v, hard: v }];
    }
    checkKeys(e, ['soft', 'hard'], 'ulimit', ctx);
    const soft = num(e.child('soft'), ctx, { integer: true, min: -1 });
    const hard = num(e.child('hard'), ctx, { integer: true, min: -1 });
    if (soft === undefined || hard === undefined) {
      if (e.child('soft').isNull || e.child('hard').isNull) {
        ctx.problems.add(
          e.pos,
          `${e.label}: a ulimit mapping needs both "soft" and "hard"`,
          `Write ${e.key}: { soft: 1024, hard: 2048 }, or one number for both.`,
        );
      }
      return [];
    }
    return [{ name: e.key, soft, hard }];
  });
}

/** `host=ip` / `host:ip` items or a `host: ip` mapping, as hostname -> addresses. */
export function extraHosts(n: Node, ctx: LoadContext): Record<string, string[]> | undefined {
  if (n.isNull) return undefined;
  const pairs: [string, string | undefined, Node][] = [];
  if (n.isMap()) {
    for (const e of n.entries()) {
      for (const ip of strList(e, ctx, { single: true }) ?? [undefined]) pairs.push([e.key, ip, e]);
    }
  } else if (n.isList()) {
    for (const item of n.items()) {
      const text = str(item, ctx);
      if (text === undefined) continue;
      // `=` is compose's preferred separator; with `:`, only the first one separates (IPv6 has more).
      const eq = text.indexOf('=');
      const i = eq >= 0 ? eq : text.indexOf(':');
      pairs.push(i < 0 ? [text, undefined, item] : [text.slice(0, i), text.slice(i + 1), item]);
    }
  } else {
    return typeError(
      n,
      ctx,
      'a list or a mapping',
      'Write extra_hosts: ["host=10.0.0.5"], or host: 10.0.0.5 lines.',
    );
  }
  const out: Record<string, string[]> = {};
  for (const [host, ip, node] of pairs) {
    if (!host || !ip) {
      ctx.problems.add(
        node.pos,
        `${node.label}: an extra host needs a name and an address`,
        'Write "hostname=10.0.0.5".',
      );
      continue;
    }
    (out[host] ??= []).push(ip.replace(/^\[(.*)\]$/, '$1'));
  }
  return out;
}

const PULL_POLICIES = ['always', 'never', 'missing', 'build', 'if_not_present'] as const;

export function pullPolicy(n: Node, ctx: LoadContext): ServiceSpec['pullPolicy'] {
  if (typeof n.value === 'string' && /^(daily|weekly|every_.+)$/.test(n.value)) {
    // compose pulls again once the local image is older than that; a test run has no record
    // of when an image was pulled, so it pulls what is missing.
    ignored(n, `"${n.value}" is applied as "missing": stackcheck does not track pull times`, ctx);
    return 'missing';
  }
  return oneOf(n, ctx, PULL_POLICIES);
}

export function macAddress(n: Node, ctx: LoadContext): string | undefined {
  const text = str(n, ctx);
  if (text === undefined || /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/i.test(text)) return text;
  ctx.problems.add(
    n.pos,
    `${n.label}: "${text}" is not a MAC address`,
    'Write six hex pairs separated by ":", e.g. 02:42:ac:11:00:02.',
  );
  return undefined;
}

/** `os[/arch[/variant]]`, as in OCI image indexes: linux/amd64, linux/arm64/v8. */
export function platform(n: Node, ctx: LoadContext): string | undefined {
  const text = str(n, ctx);
  if (text === undefined || /^[a-z0-9_-]+(\/[a-z0-9_-]+){0,2}$/i.test(text)) return text;
  ctx.problems.add(
    n.pos,
    `${n.label}: "${text}" is not a platform`,
    'Write os[/arch[/variant]], e.g. linux/amd64 or linux/arm64/v8.',
  );
  return undefined;
}
