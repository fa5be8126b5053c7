import { createHash } from 'node:crypto';
import type { Runtime } from '../live/runtime.js';
import type { Replica } from '../model/refs.js';
import { errorMessage } from '../common/errors.js';
import { SECRET_NAME } from '../common/secret-names.js';
import { redactor, type Redactor } from '../common/redact.js';
import { readTree } from './files.js';
import type { Scalar, SecretValue, Snapshot, Value } from './model.js';
import { subjectName } from '../model/snapshot.js';
import type { SnapshotSpec, Subject } from '../model/suite.js';

interface Capture {
  spec: SnapshotSpec;
  rt: Runtime;
  redact: Redactor;
  secrets: ReadonlySet<string>;
  entries: Record<string, Value>;
  incomplete: string[];
  signal?: AbortSignal;
}

/**
 * Takes a snapshot of a service (each replica) or of a node (each service placed there, keyed
 * by its name, so the same service on two nodes lines up). What cannot be read — a limit
 * reached, a port not published, a command that fails to start — is listed as incomplete
 * rather than thrown, so one missing piece does not hide the rest.
 */
export async function takeSnapshot(
  spec: SnapshotSpec,
  subject: Subject,
  rt: Runtime,
  opts: { name?: string; signal?: AbortSignal } = {},
): Promise<Snapshot> {
  const c: Capture = {
    spec,
    rt,
    redact: redactor(rt.suite.secrets),
    secrets: new Set(rt.suite.secrets),
    entries: {},
    incomplete: [],
    signal: opts.signal,
  };
  const replicas =
    'node' in subject
      ? rt.replicasAll.filter((r) => r.node === subject.node)
      : rt.replicas(`${subject.topology}/${subject.service}`);
  if (!replicas.length) c.incomplete.push(`${subjectName(subject)}: no container to snapshot`);
  const prefixes = keyPrefixes(replicas, 'node' in subject);
  // One replica at a time: archive reads of large trees would otherwise compete for the engine.
  for (const [i, r] of replicas.entries()) await captureReplica(c, r, prefixes[i]!);
  return {
    name: opts.name ?? spec.name,
    subject: subjectName(subject),
    takenAt: new Date().toISOString(),
    ...(rt.suite.matrix && { matrix: rt.suite.matrix }),
    entries: c.entries,
    incomplete: c.incomplete,
  };
}

/**
 * Key prefixes: none for one container of a service, the replica index when scaled; in a node
 * snapshot the service name first, and its topology too where two topologies share the name.
 */
function keyPrefixes(replicas: Replica[], node: boolean): string[] {
  const count = (f: (r: Replica) => string) => {
    const n = new Map<string, number>();
    for (const r of replicas) n.set(f(r), (n.get(f(r)) ?? 0) + 1);
    return n;
  };
  const byService = count((r) => r.service);
  const topologies = new Map<string, Set<string>>();
  for (const r of replicas)
    topologies.set(r.service, (topologies.get(r.service) ?? new Set()).add(r.topology));
  const byRef = count((r) => `${r.topology}/${r.service}`);
  return replicas.map((r) => {
    const shared = (topologies.get(r.service)?.size ?? 0) > 1;
    const scaled =
      (shared ? byRef.get(`${r.topology}/${r.service}`)! : byService.get(r.service)!) > 1;
    const name = node ? `${shared ? `${r.topology}/` : ''}${r.service}/` : '';
    return `${name}${scaled ? `${r.index}/` : ''}`;
  });
}

async function captureReplica(c: Capture, r: Replica, prefix: string): Promise<void> {
  const applies = (x: { service?: string }) => x.service === undefined || x.service === r.service;
  const attempt = async (what: string, fn: () => Promise<void>) => {
    try {
      await fn();
    } catch (e) {
      if (c.signal?.aborted) throw e;
      c.incomplete.push(`${r.containerName} ${what}: ${errorMessage(e)}`);
    }
  };
  if (c.spec.config.length) await attempt('configuration', () => captureConfig(c, r, prefix));
  for (const f of c.spec.files.filter(applies))
    await attempt(f.path, async () => {
      const tree = await readTree(
        c.rt.engine(r.node),
        r.containerId,
        f.path,
        c.spec.limits,
        c.signal,
      );
      for (const [path, v] of Object.entries(tree.entries)) c.entries[`${prefix}files${path}`] = v;
      if (tree.incomplete) c.incomplete.push(`${r.containerName} ${tree.incomplete}`);
    });
  for (const cmd of c.spec.commands.filter(applies))
    await attempt(`command ${cmd.name}`, async () => {
      const res = await c.rt.engine(r.node).exec(r.containerId, { cmd: cmd.command }, c.signal);
      const key = `commands/${cmd.name}`;
      c.entries[prefix + key] = {
        exit: res.exitCode,
        ...text(c, key, 'stdout', res.stdout),
        ...text(c, key, 'stderr', res.stderr),
      };
    });
  for (const h of c.spec.http.filter(applies))
    await attempt(`http ${h.name}`, async () => {
      const at = await c.rt.published(r, h.port, 'tcp', c.signal);
      if (!at)
        throw new Error(
          `container port ${h.port} is not published; publish it (ports: ["${h.port}"]) so the runner can ask`,
        );
      const res = await fetch(`http://${at.host}:${at.port}${h.path}`, { signal: c.signal });
      const key = `http/${h.name}`;
      c.entries[prefix + key] = { status: res.status, ...text(c, key, 'body', await res.text()) };
    });
}

async function captureConfig(c: Capture, r: Replica, prefix: string): Promise<void> {
  const s = await c.rt.inspect(r, c.signal);
  const parts = new Set(c.spec.config);
  const put = (key: string, v: Value) => (c.entries[`${prefix}${key}`] = v);
  if (parts.has('image')) {
    put('image', s.image ?? null);
    put('imageId', s.imageId ?? null);
  }
  if (parts.has('user')) put('user', s.config?.user ?? '');
  if (parts.has('env'))
    for (const [k, v] of Object.entries(s.config?.env ?? {}))
      put(`env/${k}`, SECRET_NAME.test(k) || c.secrets.has(v) ? secret(`env/${k}`, v) : v);
  if (parts.has('mounts'))
    for (const m of s.config?.mounts ?? [])
      // A volume's source is the engine's own path, named after the run: not comparable.
      put(`mounts${m.target}`, {
        type: m.type,
        readOnly: m.readOnly,
        ...(m.type === 'bind' && { source: m.source }),
      });
  if (parts.has('ports'))
    for (const p of s.ports) put(`ports/${p.target}/${p.protocol}`, `${p.hostIp}:${p.hostPort}`);
}

/**
 * An output kept as text (`key` without the replica's prefix, so the same output of the
 * same service on two nodes has the same digest): masked where it holds a secret (with a digest of the whole, so a
 * changed secret still shows as a difference), cut at the output limit (with the whole
 * output's sha256, so a difference past the cut still shows).
 */
function text(
  c: Capture,
  key: string,
  field: string,
  raw: string,
): Record<string, Scalar | SecretValue> {
  const masked = c.redact.text(raw);
  const limit = c.spec.limits.output;
  const cut = Buffer.byteLength(masked) > limit;
  return {
    [field]: cut ? Buffer.from(masked).subarray(0, limit).toString('utf8') : masked,
    ...(cut && { [`${field}Sha256`]: createHash('sha256').update(raw).digest('hex') }),
    ...(masked !== raw && { [`${field}Secrets`]: secret(`${key}#${field}`, raw) }),
  };
}

/**
 * A secret as a snapshot may hold it: a short digest salted with its key, so equal values
 * compare equal across snapshots (and across jobs) while the file never holds the value.
 */
function secret(key: string, value: string): SecretValue {
  return {
    secret: true,
    digest: createHash('sha256')
      .update(`stackcheck snapshot\0${key}\0${value}`)
      .digest('hex')
      .slice(0, 16),
  };
}
