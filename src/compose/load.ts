import { UserError, type Problem } from '../common/errors.js';
import type { Env } from '../common/interpolate.js';
import { projectName } from './to-compose.js';
import type { YamlPath } from '../common/yaml-source.js';
import type { ComposeSource } from './compose-file.js';
import { ExtendsResolver } from './extends.js';
import { finalizeNetwork, finalizeService, finalizeVolume } from './finalize.js';
import { applyIncludes } from './include.js';
import { interpolateKeys } from './interpolate-source.js';
import { checkKeys } from './keys.js';
import type { Section, SourceLayer } from './layer.js';
import { mergeSources } from './merge.js';
import type { ComposeProject, NetworkSpec, ServiceSpec } from './model.js';
import { Node, Problems, type LoadContext } from './node.js';
import { normalizeNetworks, normalizeVolumeDefs } from './normalize-resources.js';
import { mapping, str } from './read.js';
import { normalizeFileObjects } from './secrets-configs.js';
import { checkCycles, selectServices } from './validate.js';

export { readComposeFile, type ComposeSource } from './compose-file.js';

export interface LoadComposeOptions {
  sources: ComposeSource[];
  env: Env;
  profiles: string[];
}

const FILE_KEYS = [
  'version',
  'name',
  'include',
  'services',
  'networks',
  'volumes',
  'secrets',
  'configs',
];
const INLINE_KEYS = ['services', 'networks', 'volumes'];

function valueAt(data: unknown, path: YamlPath): unknown {
  return path.reduce<unknown>(
    (v, seg) => (v as Record<string | number, unknown> | null | undefined)?.[seg],
    data,
  );
}

function readSource(src: ComposeSource, ctx: LoadContext, resolver: ExtendsResolver): SourceLayer {
  const layer: SourceLayer = { services: [], networks: [], volumes: [], secrets: [], configs: [] };
  const raw = new Node({ yaml: src.yaml, base: src.base }, [], valueAt(src.yaml.data, src.base));
  if (!raw.isMap()) {
    ctx.problems.add(
      raw.pos,
      'a compose file must be a mapping with a services key',
      'Start the file with services: and the services below it.',
    );
    return layer;
  }
  if (!src.inline) checkKeys(raw, FILE_KEYS, 'top-level', ctx);
  const root = interpolateKeys(raw, src.inline ? INLINE_KEYS : FILE_KEYS, ctx);
  if (!src.inline) {
    if (root.has('version')) {
      ctx.warnings.push({
        message: '"version" is obsolete and ignored',
        pos: root.child('version').keyPos,
      });
    }
    const name = str(root.child('name'), ctx);
    if (name !== undefined) layer.name = name;
  }
  const section = (key: Section): Node => {
    const n = root.child(key);
    for (const e of n.entries())
      if (e.tag) (layer.tagged ??= []).push({ section: key, name: e.key, tag: e.tag });
    return n.withoutResets();
  };
  unappliedTags(src, ctx);
  const services = section('services');
  if (mapping(services, ctx)) layer.services = resolver.services(services, ctx);
  layer.networks = normalizeNetworks(section('networks'), ctx);
  layer.volumes = normalizeVolumeDefs(section('volumes'), ctx);
  if (!src.inline) {
    layer.secrets = normalizeFileObjects(section('secrets'), ctx, 'secret');
    layer.configs = normalizeFileObjects(section('configs'), ctx, 'config');
    const read = (s: ComposeSource, c: LoadContext) => readSource(s, c, resolver);
    applyIncludes(root.child('include'), layer, ctx, read, src.path ?? src.yaml.file);
  }
  return layer;
}

/**
 * Merge tags stackcheck applies: on a top-level entry (`services.web: !reset`), on a service
 * key and on one entry of a service's mapping. One deeper, or below networks, volumes,
 * secrets or configs, is merged as usual: said in a warning, never silently.
 */
function unappliedTags(src: ComposeSource, ctx: LoadContext): void {
  for (const path of src.yaml.taggedPaths()) {
    const depth = path.length;
    const applied = depth === 2 || (path[0] === 'services' && (depth === 3 || depth === 4));
    if (applied) continue;
    const tag = src.yaml.tagOf(path)!;
    ctx.warnings.push({
      message: `${path.join('.')}: the ${tag} tag is not applied here by stackcheck; the value is merged as usual`,
      pos: src.yaml.posOf(path),
    });
  }
}

/**
 * compose offers the project's name to interpolation as COMPOSE_PROJECT_NAME: the variable
 * when set, else the last `name:` the files write, else the project folder's name.
 */
function withProjectName(sources: ComposeSource[], env: Env): Env {
  if (env.COMPOSE_PROJECT_NAME) return env;
  const written = sources
    .filter((s) => !s.inline)
    .map((s) => (valueAt(s.yaml.data, s.base) as { name?: unknown } | null)?.name)
    .filter((n): n is string => typeof n === 'string' && !n.includes('$'))
    .at(-1);
  const name =
    written ??
    projectName({
      projectDir: sources[0]!.dir,
      services: {},
      networks: {},
      volumes: {},
      warnings: [],
    });
  return { ...env, COMPOSE_PROJECT_NAME: name };
}

/** Problems as the user reads the files: file by file (first mention first), then line and column. */
function inFileOrder(list: Problem[]): Problem[] {
  const files = [...new Set(list.map((p) => p.pos?.file ?? ''))];
  const key = (p: Problem): [number, number, number] => [
    files.indexOf(p.pos?.file ?? ''),
    p.pos?.line ?? 0,
    p.pos?.column ?? 0,
  ];
  return [...list].sort((a, b) => {
    const [ka, kb] = [key(a), key(b)];
    return ka[0] - kb[0] || ka[1] - kb[1] || ka[2] - kb[2];
  });
}

/** Services that are attached to the project's `default` network, by default or by name. */
function usesDefault(s: ServiceSpec): boolean {
  return (
    s.networkMode === undefined && (Object.keys(s.networks).length === 0 || 'default' in s.networks)
  );
}

/**
 * Loads, interpolates, merges and normalises compose sources into one project, with the
 * services that `profiles` enable. Every problem found is reported in one UserError.
 */
export function loadCompose(opts: LoadComposeOptions): ComposeProject {
  const first = opts.sources[0];
  if (!first)
    throw new UserError({
      message: 'no compose file or inline services to load',
      hint: 'Name compose files, or write services inline.',
    });
  const ctx: LoadContext = {
    problems: new Problems(),
    warnings: [],
    env: withProjectName(opts.sources, opts.env),
    projectDir: first.dir,
  };
  const resolver = new ExtendsResolver();
  const merged = mergeSources(opts.sources.map((s) => readSource(s, ctx, resolver)));
  if (merged.services.size === 0 && ctx.problems.list.length === 0) {
    ctx.problems.add(
      first.yaml.posOf(first.base),
      'no services are defined',
      'Add a services: mapping with at least one service.',
    );
  }
  const services = selectServices(merged, opts.profiles, ctx).map((s) => finalizeService(s, ctx));
  checkCycles(services, ctx);
  const networks: Record<string, NetworkSpec> = {};
  for (const n of merged.networks.values()) networks[n.name] = finalizeNetwork(n, ctx);
  if (!networks.default && services.some(usesDefault)) {
    networks.default = finalizeNetwork({ name: 'default', pos: first.yaml.posOf(first.base) }, ctx);
  }
  const volumes = Object.fromEntries(
    [...merged.volumes.values()].map((v) => [v.name, finalizeVolume(v, ctx)]),
  );
  if (ctx.problems.list.length > 0) throw new UserError(inFileOrder(ctx.problems.list));
  return {
    projectDir: first.dir,
    ...(merged.name !== undefined ? { name: merged.name } : {}),
    services: Object.fromEntries(services.map((s) => [s.name, s])),
    networks,
    volumes,
    warnings: ctx.warnings,
  };
}
