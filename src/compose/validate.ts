import { didYouMean } from '../common/suggest.js';
import type { ServiceLayer } from './layer.js';
import type { MergedProject } from './merge.js';
import type { DependsOn } from './model.js';
import type { LoadContext } from './node.js';
import type { SourcePos } from '../common/errors.js';
import { buildSecretSources, fileObjectMounts } from './secrets-configs.js';
import { sharedDependencies } from './shared-namespaces.js';
import { checkTarget } from './references.js';

/*
 * Checks that need the whole merged project: profiles, references between services and to
 * top-level networks, volumes, secrets and configs; dependency cycles.
 */

function isEnabled(s: ServiceLayer, profiles: readonly string[]): boolean {
  const own = s.profiles ?? [];
  return own.length === 0 || profiles.includes('*') || own.some((p) => profiles.includes(p));
}

function checkDependencies(
  s: ServiceLayer,
  project: MergedProject,
  active: Set<string>,
  ctx: LoadContext,
): Record<string, DependsOn> {
  const kept: Record<string, DependsOn> = {};
  for (const [name, dep] of Object.entries(s.dependsOn ?? {})) {
    if (checkTarget(s, name, 'depends on', dep.pos, project, active, ctx, !dep.required)) {
      kept[name] = dep;
    }
  }
  return kept;
}

/**
 * compose treats a link as a dependency (service_started) besides the alias; depends_on,
 * when it names the same service, says how.
 */
function linkDependencies(
  s: ServiceLayer,
  project: MergedProject,
  active: Set<string>,
  ctx: LoadContext,
): Record<string, DependsOn> {
  const out: Record<string, DependsOn> = {};
  for (const link of s.links ?? []) {
    if (s.dependsOn?.[link.service] || out[link.service]) continue;
    if (checkTarget(s, link.service, 'links to', link.pos, project, active, ctx))
      out[link.service] = { condition: 'service_started', required: true, pos: link.pos };
  }
  return out;
}

function checkNetworkMode(s: ServiceLayer, ctx: LoadContext): void {
  if (s.networkMode === undefined) return;
  if (Object.keys(s.networks ?? {}).length > 0) {
    ctx.problems.add(
      s.pos,
      `service "${s.name}" sets both network_mode and networks`,
      "Keep one: network_mode replaces the service's networks.",
    );
  }
}

function checkReferences(s: ServiceLayer, project: MergedProject, ctx: LoadContext): void {
  if (s.image === undefined && s.build === undefined) {
    ctx.problems.add(
      s.pos,
      `service "${s.name}" has neither image nor build`,
      'Add image: name:tag, or build: ./folder-with-a-Dockerfile.',
    );
  }
  for (const [name, net] of Object.entries(s.networks ?? {})) {
    if (name === 'default' || project.networks.has(name)) continue;
    ctx.problems.add(
      net.pos,
      `service "${s.name}" uses network "${name}", which is not declared under top-level networks`,
      didYouMean(name, project.networks.keys()) ||
        `Declare it: networks: { ${name}: {} } at the top level of the file.`,
    );
  }
  for (const m of s.mounts ?? []) {
    if (m.type !== 'volume' || m.source === undefined || project.volumes.has(m.source)) continue;
    ctx.problems.add(
      m.pos,
      `service "${s.name}" mounts volume "${m.source}", which is not declared under top-level volumes`,
      didYouMean(m.source, project.volumes.keys()) ||
        `Declare it: volumes: { ${m.source}: {} } at the top level, or write ./${m.source} for a host folder.`,
    );
  }
  if (s.containerName !== undefined && (s.replicas ?? 1) > 1) {
    ctx.problems.add(
      s.pos,
      `service "${s.name}" sets container_name and ${s.replicas} replicas`,
      'A container name fits one container: remove container_name or use one replica.',
    );
  }
}

/**
 * The services that run with `profiles` (a service without profiles always does; `*`
 * enables every profile), checked against the rest of the project. Optional dependencies
 * on services that do not run are dropped, as compose does.
 */
export function selectServices(
  project: MergedProject,
  profiles: readonly string[],
  ctx: LoadContext,
): ServiceLayer[] {
  const enabled = [...project.services.values()].filter((s) => isEnabled(s, profiles));
  // Provider services (run by a compose plugin) are listed as ignored and do not run; what
  // depends on them starts without them.
  const providers = new Set(enabled.filter((s) => s.provider !== undefined).map((s) => s.name));
  const active = enabled
    .filter((s) => !providers.has(s.name))
    .map((s) => ({
      ...s,
      dependsOn: Object.fromEntries(
        Object.entries(s.dependsOn ?? {}).filter(([d]) => !providers.has(d)),
      ),
    }));
  const names = new Set(active.map((s) => s.name));
  return active.map((s) => {
    const files = fileObjectMounts(s, { secret: project.secrets, config: project.configs }, ctx);
    checkReferences(s, project, ctx);
    checkNetworkMode(s, ctx);
    return {
      ...s,
      dependsOn: {
        ...sharedDependencies(s, project, names, ctx),
        ...checkDependencies(s, project, names, ctx),
        ...linkDependencies(s, project, names, ctx),
      },
      // deploy.restart_policy wins over restart, as compose v2 applies them.
      restart: s.deployRestart ?? s.restart,
      deployRestart: undefined,
      mounts: [...(s.mounts ?? []), ...files.mounts],
      build: buildSecretSources(s, project.secrets, ctx),
      ...(files.injected.length > 0 && { injectedFiles: files.injected }),
    };
  });
}

/**
 * Dependency cycles (depends_on, links and the dependencies compose implies), refused at load
 * as compose refuses them ("dependency cycle detected"), so `validate` and `config` see what
 * `run` would refuse. Reported once per cycle, at the entry that closes it.
 */
export function checkCycles(
  services: readonly { name: string; dependsOn: Record<string, { pos: SourcePos }> }[],
  ctx: LoadContext,
): void {
  const byName = new Map(services.map((s) => [s.name, s]));
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string, path: string[]): void => {
    if (state.get(name) === 'done') return;
    if (state.get(name) === 'visiting') {
      const cycle = [...path.slice(path.indexOf(name)), name];
      const from = path.at(-1)!;
      ctx.problems.add(
        byName.get(from)!.dependsOn[name]!.pos,
        `dependency cycle: ${cycle.join(' → ')}`,
        'Remove one of these dependencies; a service cannot wait, even indirectly, for itself.',
      );
      return;
    }
    state.set(name, 'visiting');
    for (const dep of Object.keys(byName.get(name)!.dependsOn))
      if (byName.has(dep)) visit(dep, [...path, name]);
    state.set(name, 'done');
  };
  for (const s of services) visit(s.name, []);
}
