import { parseSize } from '../common/duration.js';
import type { Problem } from '../common/errors.js';
import type { YamlSource } from '../common/yaml-source.js';
import { resolveServiceRef } from './refs.js';
import type { SnapshotSpec, Subject, Suite } from './suite.js';
import type { SnapshotSpecInput } from '../snapshot/schema.js';

export function subjectName(s: Subject): string {
  return 'node' in s ? `node ${s.node}` : `${s.topology}/${s.service}`;
}

/**
 * A node name, else a service reference (`topology/service`, or a service name that one
 * topology has). A bare name that is both a node and a service is ambiguous: a message.
 */
export function resolveSubject(
  suite: Pick<Suite, 'topologies' | 'nodes'>,
  text: string,
): Subject | string {
  const isNode = !text.includes('/') && text in suite.nodes;
  const ref = resolveServiceRef(suite, text);
  if (isNode && typeof ref !== 'string')
    return `"${text}" is both a node and a service; write ${ref.topology}/${ref.service} for the service`;
  if (isNode) return { node: text };
  if (typeof ref === 'string')
    return `${ref}; or name a node (nodes: ${Object.keys(suite.nodes).join(', ')})`;
  return ref;
}

export function resolveSnapshots(
  raw: Record<string, SnapshotSpecInput>,
  src: YamlSource,
  suite: Pick<Suite, 'topologies' | 'nodes'>,
  problems: Problem[],
): Record<string, SnapshotSpec> {
  const out: Record<string, SnapshotSpec> = {};
  for (const [name, s] of Object.entries(raw)) {
    const of = s.of === undefined ? undefined : [s.of].flat();
    of?.forEach((text, i) => {
      const r = resolveSubject(suite, text);
      if (typeof r === 'string')
        problems.push({
          message: `snapshot "${name}": ${r}`,
          pos: src.posOf(['snapshots', name, 'of', ...(typeof s.of === 'string' ? [] : [i])]),
        });
    });
    out[name] = {
      name,
      of,
      files: s.files.map((f) => (typeof f === 'string' ? { path: f } : f)),
      commands: s.commands.map((c, i) => ({
        name: c.name ?? String(i),
        service: c.service,
        command: typeof c.command === 'string' ? ['sh', '-c', c.command] : c.command,
      })),
      http: s.http.map((h) => ({
        name: h.name ?? `${h.port}${h.path.startsWith('/') ? '' : '/'}${h.path}`,
        service: h.service,
        port: h.port,
        path: h.path,
      })),
      config: s.config,
      ignore: s.ignore,
      limits: {
        files: s.limits.files,
        bytes: parseSize(s.limits.bytes)!,
        output: parseSize(s.limits.output)!,
      },
      pos: src.keyPosOf(['snapshots', name]),
    };
  }
  return out;
}

/**
 * Names of snapshots that checks and steps use but `snapshots:` does not define, and the
 * nodes or services they take them of that do not exist, at their positions. Read from the raw manifest, where every use still has its place in the file.
 */
export function snapshotUseProblems(
  raw: { checks?: unknown; scenarios?: unknown },
  defined: Record<string, unknown>,
  src: YamlSource,
  suite: Pick<Suite, 'topologies' | 'nodes'>,
): Problem[] {
  const problems: Problem[] = [];
  const known = Object.keys(defined);
  const subject = (text: unknown, at: (string | number)[]) => {
    if (typeof text !== 'string') return;
    const r = resolveSubject(suite, text);
    if (typeof r === 'string') problems.push({ message: r, pos: src.posOf(at) });
  };
  const judge = (name: unknown, at: (string | number)[]) => {
    if (typeof name !== 'string' || name in defined) return;
    problems.push({
      message: `snapshot "${name}" is not defined`,
      pos: src.posOf(at),
      hint: known.length
        ? `Define it under "snapshots:", or use one of: ${known.join(', ')}.`
        : 'Define it under "snapshots:" (see docs/manifest.md#snapshots).',
    });
  };
  const diffUse = (check: unknown, at: (string | number)[]) => {
    const d = (check as { diff?: Record<string, unknown> } | undefined)?.diff;
    if (!d || typeof d !== 'object') return;
    judge(d.snapshot, [...at, 'diff', 'snapshot']);
    for (const side of ['left', 'right']) subject(d[side], [...at, 'diff', side]);
  };
  if (Array.isArray(raw.checks)) raw.checks.forEach((c, i) => diffUse(c, ['checks', i]));
  if (Array.isArray(raw.scenarios))
    raw.scenarios.forEach((sc, i) => {
      const steps = (sc as { steps?: unknown } | undefined)?.steps;
      if (!Array.isArray(steps)) return;
      steps.forEach((st, j) => {
        const at = ['scenarios', i, 'steps', j];
        const step = st as
          { snapshot?: { take?: unknown; of?: unknown }; check?: unknown } | undefined;
        if (step?.snapshot && typeof step.snapshot === 'object') {
          judge(step.snapshot.take, [...at, 'snapshot', 'take']);
          subject(step.snapshot.of, [...at, 'snapshot', 'of']);
        }
        diffUse(step?.check, [...at, 'check']);
      });
    });
  return problems;
}
