import { SECRET_NAME } from '../common/secret-names.js';
import { posix } from 'node:path';
import type { ServiceSpec } from '../compose/model.js';
import type { ContainerConfig } from '../engine/engine.js';
import type { Rule } from './kinds/security.schema.js';

/**
 * Container security rules, judged on one "subject": a running container's real configuration
 * (docker inspect, the image's USER included) or, when nothing runs, the compose model.
 * Pure functions, so every rule is tested on hand-built inputs.
 */

/** What a rule is judged on, whichever source it came from. */
export interface Subject {
  from: 'container' | 'compose';
  /** undefined: compose sets no `user:`, so the image's USER decides, which only the engine knows. */
  user?: string;
  privileged: boolean;
  capAdd: string[];
  readOnlyRootfs: boolean;
  memoryBytes?: number;
  /** CPUs, from cpus / NanoCpus or a CFS quota. */
  cpus?: number;
  binds: { source: string; target: string; readOnly: boolean }[];
  /** Values may be secrets: rules read them, findings never carry them. */
  env: Record<string, string>;
}

export interface Finding {
  verdict: 'ok' | 'violation' | 'unknown';
  /** One line for a reviewer; never an environment value. */
  detail: string;
  /** Facts the verdict rests on (mounts, names, limits): never an environment value. */
  facts?: Record<string, unknown>;
}

export function subjectFromCompose(s: ServiceSpec): Subject {
  const r = s.resources;
  const quotaCpus =
    r.cpuQuotaUs !== undefined && r.cpuQuotaUs > 0
      ? r.cpuQuotaUs / (r.cpuPeriodUs ?? 100_000)
      : undefined;
  return {
    from: 'compose',
    user: s.user,
    privileged: s.privileged,
    capAdd: s.capAdd,
    readOnlyRootfs: s.readOnly,
    memoryBytes: r.limits.memoryBytes,
    cpus: r.limits.cpus ?? quotaCpus,
    binds: s.mounts.flatMap((m) =>
      m.type === 'bind' ? [{ source: m.source, target: m.target, readOnly: m.readOnly }] : [],
    ),
    env: s.environment,
  };
}

export function subjectFromContainer(c: ContainerConfig): Subject {
  const cpus =
    c.nanoCpus > 0
      ? c.nanoCpus / 1e9
      : c.cpuQuota > 0
        ? c.cpuQuota / (c.cpuPeriod || 100_000)
        : undefined;
  return {
    from: 'container',
    user: c.user,
    privileged: c.privileged,
    capAdd: c.capAdd,
    readOnlyRootfs: c.readonlyRootfs,
    memoryBytes: c.memoryBytes > 0 ? c.memoryBytes : undefined,
    cpus,
    binds: c.mounts.flatMap((m) =>
      m.type === 'bind' ? [{ source: m.source, target: m.target, readOnly: m.readOnly }] : [],
    ),
    env: c.env,
  };
}

/** `""`, `0`, `root`, `0:0`, `root:staff`: the process runs as uid 0. */
export function isRootUser(user: string): boolean {
  const name = user.split(':')[0]!.trim();
  return name === '' || name === '0' || name === 'root';
}

function nonRoot(s: Subject): Finding {
  if (s.user === undefined) {
    return {
      verdict: 'unknown',
      detail:
        "no `user:` in compose, so the image's USER decides, which only a run can see (set `user:`, or judge it with `stackcheck run`)",
    };
  }
  const facts = { user: s.user === '' ? '(empty: root)' : s.user };
  return isRootUser(s.user)
    ? { verdict: 'violation', detail: `runs as root (user "${s.user}")`, facts }
    : { verdict: 'ok', detail: `runs as "${s.user}"`, facts };
}

/** Capabilities that give the container (nearly) the host: as bad as `privileged`. */
const PRIVILEGED_CAPS = new Set(['ALL', 'SYS_ADMIN']);

function notPrivileged(s: Subject): Finding {
  if (s.privileged)
    return { verdict: 'violation', detail: 'runs privileged', facts: { privileged: true } };
  const caps = s.capAdd
    .map((c) => c.toUpperCase().replace(/^CAP_/, ''))
    .filter((c) => PRIVILEGED_CAPS.has(c));
  if (caps.length) {
    return {
      verdict: 'violation',
      detail: `adds capability ${caps.join(', ')}, nearly as much as privileged`,
      facts: { capAdd: s.capAdd },
    };
  }
  return {
    verdict: 'ok',
    detail: 'not privileged',
    facts: { privileged: false, capAdd: s.capAdd },
  };
}

const SOCKET_RE = /(^|\/)(docker|podman|containerd)\.sock$/;

function isEngineSocket(source: string): boolean {
  return SOCKET_RE.test(normalize(source));
}

function noDockerSocket(s: Subject): Finding {
  const socks = s.binds.filter((b) => isEngineSocket(b.source));
  if (socks.length) {
    return {
      verdict: 'violation',
      detail: `mounts the engine socket ${socks.map((b) => b.source).join(', ')}: root on the host for anyone in the container`,
      facts: { mounts: socks.map(bindText) },
    };
  }
  return { verdict: 'ok', detail: 'no engine socket mounted' };
}

/** Host paths whose bind mount exposes the host itself. */
export const SENSITIVE_PATHS = [
  '/',
  '/bin',
  '/boot',
  '/dev',
  '/etc',
  '/home',
  '/lib',
  '/proc',
  '/root',
  '/run',
  '/sbin',
  '/sys',
  '/usr',
  '/var',
  '/var/lib',
  '/var/log',
  '/var/run',
];
/** Host paths sensitive at any depth below them. */
export const SENSITIVE_TREES = [
  '/proc',
  '/sys',
  '/root',
  '/etc/ssh',
  '/etc/shadow',
  '/etc/sudoers',
  '/etc/sudoers.d',
  '/etc/kubernetes',
  '/var/lib/docker',
  '/var/lib/containerd',
  '/var/lib/kubelet',
];

function normalize(p: string): string {
  const n = posix.normalize(p);
  return n.length > 1 ? n.replace(/\/+$/, '') : n;
}

/** Why a bind source is sensitive, or undefined. */
export function sensitiveReason(source: string): string | undefined {
  const p = normalize(source);
  if (isEngineSocket(p)) return undefined; // noDockerSocket's business
  if (SENSITIVE_PATHS.includes(p)) return `${p} is a host system directory`;
  const tree = SENSITIVE_TREES.find((t) => p === t || p.startsWith(`${t}/`));
  return tree ? `${p} lies in ${tree}` : undefined;
}

function bindText(b: Subject['binds'][number]): string {
  return `${b.source}:${b.target}${b.readOnly ? ':ro' : ''}`;
}

function noHostSensitiveMounts(s: Subject): Finding {
  const bad = s.binds.flatMap((b) => {
    const why = sensitiveReason(b.source);
    return why ? [{ mount: bindText(b), why }] : [];
  });
  if (bad.length) {
    return {
      verdict: 'violation',
      detail: `bind-mounts host paths: ${bad.map((b) => b.mount).join(', ')}`,
      facts: { mounts: bad },
    };
  }
  return { verdict: 'ok', detail: `no sensitive host path among ${s.binds.length} bind mount(s)` };
}

function readOnlyRootfs(s: Subject): Finding {
  return s.readOnlyRootfs
    ? { verdict: 'ok', detail: 'root filesystem is read-only' }
    : {
        verdict: 'violation',
        detail:
          'root filesystem is writable (set `read_only: true`, with tmpfs for the paths it writes)',
      };
}

function limits(s: Subject): Finding {
  const missing = [s.memoryBytes ? '' : 'memory', s.cpus ? '' : 'CPU'].filter(Boolean);
  const facts = { memoryBytes: s.memoryBytes ?? null, cpus: s.cpus ?? null };
  return missing.length
    ? {
        verdict: 'violation',
        detail: `no ${missing.join(' or ')} limit (deploy.resources.limits, or mem_limit / cpus)`,
        facts,
      }
    : { verdict: 'ok', detail: `limited to ${s.memoryBytes} bytes and ${s.cpus} CPUs`, facts };
}

/** Variable names that usually hold a secret. */
/** Names that mention a secret but hold something else: a file path, a setting about the secret. */
const NOT_A_SECRET_NAME =
  /_(FILE|PATH|DIR|TTL|TIMEOUT|EXPIRY|EXPIRES|EXPIRATION|LIFETIME|LENGTH|LEN|MIN|MAX|SIZE|COUNT|ENABLED|REQUIRED|HEADER|TYPE|ALGORITHM|ALG|ISSUER|AUDIENCE|USER|USERNAME|NAME)$/i;
/** Values that are no secret: flags. */
const NOT_A_SECRET_VALUE = /^(true|false|yes|no|on|off|none|null)$/i;

/**
 * Whether a value is a reference to a secret kept elsewhere rather than the secret: a
 * variable for the container's own shell to expand (`${DB_PASSWORD}`, `$DB_PASSWORD`, which
 * compose passes through when written `$${…}`), or a file path (`/run/secrets/db`).
 */
export function isReference(value: string): boolean {
  const v = value.trim();
  return (
    /^\$(\{[^}]+\}|[A-Za-z_][A-Za-z0-9_]*)$/.test(v) ||
    /^(\/|\.\/|~\/)[^\s]*$/.test(v) ||
    /^file:\/\//.test(v)
  );
}

/** The names of variables that hold a literal secret; never their values. */
export function secretsInEnv(env: Record<string, string>, allow: readonly string[] = []): string[] {
  return Object.entries(env)
    .filter(
      ([name, value]) =>
        SECRET_NAME.test(name) &&
        !NOT_A_SECRET_NAME.test(name) &&
        !allow.includes(name) &&
        value.trim() !== '' &&
        !NOT_A_SECRET_VALUE.test(value.trim()) &&
        !isReference(value),
    )
    .map(([name]) => name)
    .sort();
}

function noSecretsInEnv(s: Subject, allow: readonly string[]): Finding {
  const names = secretsInEnv(s.env, allow);
  if (names.length) {
    return {
      verdict: 'violation',
      detail: `${names.join(', ')} hold${names.length === 1 ? 's' : ''} a literal secret (value masked); pass it as a file (compose \`secrets:\`, *_FILE) instead`,
      facts: { variables: names.map((name) => ({ name, value: '<masked>' })) },
    };
  }
  return { verdict: 'ok', detail: 'no literal secret in the environment' };
}

/** Every rule's finding for one subject. */
export function judgeSubject(
  s: Subject,
  opts: { allowEnv?: readonly string[] } = {},
): Record<Rule, Finding> {
  return {
    nonRoot: nonRoot(s),
    notPrivileged: notPrivileged(s),
    noDockerSocket: noDockerSocket(s),
    noHostSensitiveMounts: noHostSensitiveMounts(s),
    noSecretsInEnv: noSecretsInEnv(s, opts.allowEnv ?? []),
    readOnlyRootfs: readOnlyRootfs(s),
    limits: limits(s),
  };
}
