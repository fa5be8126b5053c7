import { resolveRefUses, type RefScope } from '../model/refs.js';
import type { Problem } from '../common/errors.js';
import type { YamlSource } from '../common/yaml-source.js';
import type { DependsCondition } from '../compose/model.js';
import type { TopologyConfig } from './schema.js';
import type { CrossDependency, TopologySpec } from '../model/suite.js';

/**
 * Resolves every topology's `depends_on` (services of other topologies its services wait for)
 * onto the loaded topologies, and reports at its manifest line each reference that names no
 * service, a service of the same topology, or closes a cycle with the compose files' own
 * depends_on. Topologies that did not load are not judged: their own problems say why.
 */
export function resolveCrossDependencies(
  configs: Record<string, TopologyConfig>,
  src: YamlSource,
  scope: RefScope & { topologies: TopologySpec[] },
): Problem[] {
  const problems: Problem[] = [];
  for (const t of scope.topologies) {
    const entries = Object.entries(configs[t.name]?.depends_on ?? {});
    if (!entries.length) continue;
    const base = ['topologies', t.name, 'depends_on'];
    if (t.attach) {
      problems.push({
        message: `topology "${t.name}" is attached: its services already run, so they cannot wait for other topologies`,
        pos: src.keyPosOf(base),
        hint: 'Remove `depends_on` from it, or put it on the topologies that stackcheck starts.',
      });
      continue;
    }
    const deps: CrossDependency[] = [];
    for (const [service, value] of entries) {
      if (!t.project.services[service]) {
        problems.push({
          message: `depends_on names service "${service}", which topology "${t.name}" does not define (services: ${Object.keys(t.project.services).join(', ')})`,
          pos: src.keyPosOf([...base, service]),
        });
        continue;
      }
      const refs: { ref: string; condition: DependsCondition; path: (string | number)[] }[] =
        Array.isArray(value)
          ? value.map((ref, i) => ({ ref, condition: 'service_started', path: [service, i] }))
          : Object.entries(value).map(([ref, d]) => ({
              ref,
              condition: d.condition,
              path: [service, ref],
            }));
      for (const { ref, condition, path } of refs) {
        const pos = Array.isArray(value)
          ? src.posOf([...base, ...path])
          : src.keyPosOf([...base, ...path]);
        const { targets, problems: bad } = resolveRefUses(scope, [{ ref, path }]);
        problems.push(...bad.map((p) => ({ message: `depends_on: ${p.message}`, pos })));
        const [topology, target] = (targets[0]?.split('/') ?? []) as [string?, string?];
        if (!topology || !target) continue;
        if (topology === t.name) {
          problems.push({
            message: `"${ref}" is a service of topology "${t.name}" itself`,
            pos,
            hint: `A topology's depends_on names services of other topologies; write this one in the compose file's depends_on of "${service}".`,
          });
          continue;
        }
        deps.push({ service, on: { topology, service: target }, condition, pos });
      }
    }
    t.dependsOn = deps;
  }
  for (const t of scope.topologies) {
    const awaited = scope.topologies.flatMap((o) =>
      (o.dependsOn ?? []).filter(
        (d) => d.on.topology === t.name && d.condition === 'service_completed_successfully',
      ),
    );
    if (awaited.length) t.awaitedToComplete = [...new Set(awaited.map((d) => d.on.service))];
  }
  problems.push(...cycles(scope.topologies));
  return problems;
}

interface Edge {
  to: string;
  /** Set on a cross-topology edge: where the manifest names it. */
  cross?: CrossDependency;
}

/**
 * Cycles that pass through at least one topology's depends_on, each reported once at the
 * first such entry on it; cycles within one compose project are the plan's to report.
 */
function cycles(topologies: TopologySpec[]): Problem[] {
  const edges = new Map<string, Edge[]>();
  for (const t of topologies) {
    for (const s of Object.values(t.project.services)) {
      const key = `${t.name}/${s.name}`;
      const own = Object.keys(s.dependsOn)
        .filter((d) => t.project.services[d])
        .map((d) => ({ to: `${t.name}/${d}` }));
      const cross = (t.dependsOn ?? [])
        .filter((d) => d.service === s.name)
        .map((d) => ({ to: `${d.on.topology}/${d.on.service}`, cross: d }));
      edges.set(key, [...own, ...cross]);
    }
  }
  const problems: Problem[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const path: { key: string; via?: Edge }[] = [];
  const visit = (key: string): void => {
    if (state.get(key) === 'done') return;
    if (state.get(key) === 'visiting') {
      const loop = path.slice(path.findIndex((p) => p.key === key));
      const first = loop.slice(1).find((p) => p.via?.cross)?.via?.cross;
      if (first) {
        problems.push({
          message: `dependency cycle across topologies: ${loop.map((p) => p.key).join(' → ')}`,
          pos: first.pos,
          hint: 'Remove one of these depends_on entries; a service cannot wait, even indirectly, for itself.',
        });
      }
      return;
    }
    state.set(key, 'visiting');
    for (const e of edges.get(key) ?? []) {
      path.push({ key: e.to, via: e });
      visit(e.to);
      path.pop();
    }
    state.set(key, 'done');
  };
  for (const key of edges.keys()) {
    path.push({ key });
    visit(key);
    path.pop();
  }
  return problems;
}
