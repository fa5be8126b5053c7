import { existsSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { UserError, type Problem, type SourcePos } from '../common/errors.js';
import { interpolateTree, type Env } from '../common/interpolate.js';
import { readYamlFile, type YamlSource } from '../common/yaml-source.js';
import { readEnvFile } from '../compose/env-file.js';
import { loadCompose, readComposeFile, type ComposeSource } from '../compose/load.js';
import { loadChecks } from './checks.js';
import { privateKeyLines, secretValues } from '../common/redact.js';
import { loadScenarios } from './scenarios.js';
import { resolveSnapshots, snapshotUseProblems } from '../model/snapshot.js';
import { attachTarget } from './attach.js';
import { resolveCrossDependencies } from './cross-deps.js';
import { DEFAULT_PROBE_IMAGE } from '../model/probe-image.js';
import { faultImages } from '../model/fault-images.js';
import { DEFAULT_PULL_RETRY, retryPolicy } from '../common/retry.js';
import { ManifestShapeSchema, type Manifest, type TopologyConfig } from './schema.js';
import type { NodeSpec, Suite, TopologySpec } from '../model/suite.js';
import { zodProblems } from './zod-problems.js';

export const DEFAULT_NODE = 'local';

/** Compose blocks written inline are interpolated by the compose loader with the topology's own variables. */
const INLINE_COMPOSE_KEYS = ['services', 'networks', 'volumes'] as const;

export interface LoadOptions {
  env?: Env;
  /** Set by loadSuites for one matrix combination; its values are variables too. */
  matrix?: Record<string, string>;
}

/**
 * The suites a manifest describes: one, or one per combination of its `matrix:` values,
 * each loaded with that combination's values as variables.
 */
export function loadSuites(manifestPath: string, options: LoadOptions = {}): Suite[] {
  const matrix = readMatrix(manifestPath);
  if (!matrix) return [loadSuite(manifestPath, options)];
  const env = options.env ?? process.env;
  return combinations(matrix).map((combo) =>
    loadSuite(manifestPath, { env: { ...env, ...combo }, matrix: combo }),
  );
}

function readMatrix(manifestPath: string): Record<string, string[]> | undefined {
  const data = readManifest(manifestPath).data as Record<string, unknown> | null;
  const m = data?.matrix;
  if (!m || typeof m !== 'object' || Array.isArray(m)) return undefined; // malformed: the schema reports it
  const entries = Object.entries(m).filter(([, v]) => Array.isArray(v) && v.length > 0);
  return entries.length
    ? Object.fromEntries(entries.map(([k, v]) => [k, (v as unknown[]).map(String)]))
    : undefined;
}

/** The manifest's YAML; a folder given for it (`stackcheck validate examples/x`) is pointed at its stackcheck.yml. */
function readManifest(manifestPath: string): YamlSource {
  const abs = resolve(manifestPath);
  const inside = join(abs, 'stackcheck.yml');
  if (statSync(abs, { throwIfNoEntry: false })?.isDirectory()) {
    throw new UserError({
      message: `${displayPath(abs)}: a folder, not a manifest file`,
      hint: existsSync(inside)
        ? `Name the manifest in it: ${displayPath(inside)}.`
        : 'Name the manifest file (stackcheck.yml by default).',
    });
  }
  return readYamlFile(abs, displayPath(abs));
}

function combinations(matrix: Record<string, string[]>): Record<string, string>[] {
  return Object.entries(matrix).reduce<Record<string, string>[]>(
    (acc, [key, values]) => acc.flatMap((combo) => values.map((v) => ({ ...combo, [key]: v }))),
    [{}],
  );
}

/**
 * Reads a manifest and everything it names (compose files, env files) into a Suite, or throws
 * one UserError that lists every problem found, each at its file, line and column.
 */
export function loadSuite(manifestPath: string, options: LoadOptions = {}): Suite {
  const env = options.env ?? process.env;
  const abs = resolve(manifestPath);
  const display = displayPath(abs);
  const src = readManifest(manifestPath);
  const dir = dirname(abs);

  const manifest = validateManifest(src, env);
  const problems: Problem[] = [];
  const nodes = resolveNodes(manifest, dir);
  const topologies: TopologySpec[] = [];
  /** Topologies that did not load: references into them are not judged (their problems say why). */
  const unloaded: string[] = [];
  const warnings: Suite['warnings'] = [];

  for (const [name, topo] of Object.entries(manifest.topologies)) {
    const at = (...p: (string | number)[]) => src.posOf(['topologies', name, ...p]);
    const node =
      topo.node ?? (Object.keys(nodes).length === 1 ? Object.keys(nodes)[0]! : undefined);
    if (!node) {
      problems.push({
        message: `topology "${name}" does not say which node it runs on`,
        pos: src.keyPosOf(['topologies', name]),
        hint: `Add "node:" with one of: ${Object.keys(nodes).join(', ')}.`,
      });
      unloaded.push(name);
      continue;
    }
    if (!nodes[node]) {
      problems.push({
        message: `topology "${name}" names node "${node}", which is not defined`,
        pos: at('node'),
        hint: `Define it under "nodes:", or use one of: ${Object.keys(nodes).join(', ')}.`,
      });
      unloaded.push(name);
      continue;
    }
    try {
      const project = loadCompose({
        sources: composeSources(src, name, topo, dir),
        env: topologyEnv(topo, dir, env, (p) => src.posOf(['topologies', name, ...p])),
        profiles: topo.profiles,
      });
      warnings.push(...project.warnings);
      const attach = attachTarget(topo, project);
      problems.push(...attach.problems.map((p) => ({ message: p.message, pos: at(...p.path) })));
      topologies.push({
        name,
        node,
        project,
        waitTimeoutMs: topo.wait.timeout.ms,
        stableMs: topo.wait.stable.ms,
        publish: topo.publish,
        ...(topo.gpu === 'optional' && { gpu: topo.gpu }),
        pos: src.keyPosOf(['topologies', name]),
        ...(attach.target && { attach: attach.target }),
      });
    } catch (e) {
      if (!(e instanceof UserError)) throw e;
      problems.push(...e.problems);
      unloaded.push(name);
    }
  }
  problems.push(...resolveCrossDependencies(manifest.topologies, src, { topologies, unloaded }));
  const checks = loadChecks(manifest.checks, src, { topologies, unloaded });
  const scenarios = loadScenarios(manifest.scenarios, src, { topologies, nodes, unloaded });
  problems.push(...checks.problems, ...scenarios.problems);
  const snapshots = resolveSnapshots(manifest.snapshots, src, { topologies, nodes }, problems);
  problems.push(...snapshotUseProblems(src.data as object, snapshots, src, { topologies, nodes }));
  if (problems.length) throw new UserError(problems);

  return {
    name: manifest.name,
    file: display,
    dir,
    nodes,
    topologies,
    checks: checks.checks,
    scenarios: scenarios.scenarios,
    snapshots,
    secrets: [
      ...secretValues(
        [...manifest.secrets, ...Object.values(nodes).flatMap((n) => n.passphraseEnv ?? [])],
        env,
        topologies.flatMap((t) => Object.values(t.project.services).map((s) => s.environment)),
      ),
      // Secrets from content/environment are copied into containers: a check that prints one
      // (cat /run/secrets/x) must not put it in a report.
      ...topologies.flatMap((t) =>
        Object.values(t.project.services).flatMap((s) =>
          [
            ...(s.injectedFiles ?? []).flatMap((f) => (f.secret ? [f.content?.trim()] : [])),
            ...(s.build?.secrets ?? []).map((b) => b.text?.trim()),
          ].flatMap((v) => (v ? [v] : [])),
        ),
      ),
      ...privateKeyLines(Object.values(nodes).flatMap((n) => [n.identity, n.tls?.key])),
    ],
    images: {
      pull: retryPolicy(
        manifest.images?.pull?.backoff?.map((d) => d.ms) ?? DEFAULT_PULL_RETRY.backoffMs,
        manifest.images?.pull?.attempts,
      ),
      carry: manifest.images?.carry ?? false,
    },
    probeImage: process.env.STACKCHECK_PROBE_IMAGE ?? manifest.probe?.image ?? DEFAULT_PROBE_IMAGE,
    faultImages: faultImages(manifest.faults, process.env),
    matrix: options.matrix,
    report: manifest.report ?? {},
    warnings,
  };
}

function validateManifest(src: YamlSource, env: Env): Manifest {
  const raw = src.data;
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new UserError({
      message: 'a manifest is a YAML mapping with "version", "name" and "topologies"',
      pos: src.posOf([]),
      hint: 'See docs/manifest.md, or run `stackcheck schema` for the JSON Schema.',
    });
  }
  const { value, issues } = interpolateTree(withoutInlineCompose(raw), env);
  const problems: Problem[] = issues
    .filter((i) => i.severity === 'error')
    .map((i) => ({
      message: i.message,
      pos: src.posOf(i.path),
      hint: 'Set the variable, or give it a default with ${VAR:-default}.',
    }));
  const parsed = ManifestShapeSchema.safeParse(withInlineCompose(value, raw));
  if (!parsed.success) problems.push(...zodProblems(ManifestShapeSchema, parsed.error.issues, src));
  if (problems.length || !parsed.success) throw new UserError(problems);
  return parsed.data;
}

type Tree = Record<string, unknown>;

function withoutInlineCompose(raw: object): Tree {
  const copy = structuredClone(raw) as Tree;
  for (const topo of Object.values((copy.topologies as Tree | undefined) ?? {})) {
    if (topo && typeof topo === 'object')
      for (const k of INLINE_COMPOSE_KEYS) delete (topo as Tree)[k];
  }
  return copy;
}

function withInlineCompose(value: unknown, raw: object): unknown {
  const out = value as Tree;
  const rawTopos = ((raw as Tree).topologies as Tree | undefined) ?? {};
  for (const [name, topo] of Object.entries((out.topologies as Tree | undefined) ?? {})) {
    const rawTopo = rawTopos[name] as Tree | undefined;
    if (!topo || typeof topo !== 'object' || !rawTopo) continue;
    for (const k of INLINE_COMPOSE_KEYS) if (k in rawTopo) (topo as Tree)[k] = rawTopo[k];
  }
  return out;
}

function resolveNodes(manifest: Manifest, dir: string): Record<string, NodeSpec> {
  const entries = Object.entries(manifest.nodes ?? { [DEFAULT_NODE]: { labels: [] } });
  return Object.fromEntries(
    entries.map(([name, n]) => [
      name,
      {
        name,
        docker: n.docker,
        address: n.address,
        labels: n.labels,
        tls: n.tls && {
          ca: resolve(dir, n.tls.ca),
          ...(n.tls.cert !== undefined && { cert: resolve(dir, n.tls.cert) }),
          ...(n.tls.key !== undefined && { key: resolve(dir, n.tls.key) }),
        },
        identity: n.identity && resolve(dir, n.identity),
        ...(n.passphraseEnv !== undefined && { passphraseEnv: n.passphraseEnv }),
        ...(n.knownHosts !== undefined && { knownHosts: resolve(dir, n.knownHosts) }),
        ...(n.hostKey !== undefined && { hostKey: [n.hostKey].flat() }),
        ...(n.strictHostKeyChecking === 'accept-new' && { strictHostKeyChecking: 'accept-new' }),
        ...(n.portRange !== undefined && { portRange: n.portRange }),
      } satisfies NodeSpec,
    ]),
  );
}

function composeSources(
  src: YamlSource,
  name: string,
  topo: TopologyConfig,
  dir: string,
): ComposeSource[] {
  const files = topo.compose === undefined ? [] : [topo.compose].flat();
  const sources = files.map((f, i) => {
    const abs = resolve(dir, f);
    const entry = typeof topo.compose === 'string' ? [] : [i];
    return readComposeFile(
      abs,
      displayPath(abs),
      src.posOf(['topologies', name, 'compose', ...entry]),
    );
  });
  if (topo.services || topo.networks || topo.volumes) {
    sources.push({ yaml: src, base: ['topologies', name], dir, inline: true });
  }
  return sources;
}

/**
 * Interpolation variables for one topology, weakest first: the project's `.env`, the
 * topology's env_file(s), the runner's environment, then the topology's `env:`, which wins
 * so a manifest (or a matrix) can pin a value.
 */
function topologyEnv(
  topo: TopologyConfig,
  dir: string,
  env: Env,
  posOf: (path: (string | number)[]) => SourcePos,
): Env {
  const firstCompose = topo.compose === undefined ? undefined : [topo.compose].flat()[0];
  const projectDir = firstCompose ? dirname(resolve(dir, firstCompose)) : dir;
  const dotEnv = resolve(projectDir, '.env');
  const envFiles = topo.env_file === undefined ? [] : [topo.env_file].flat();
  const fromFiles = envFiles.map((f, i) =>
    readEnvFile(
      resolve(dir, f),
      posOf(typeof topo.env_file === 'string' ? ['env_file'] : ['env_file', i]),
      env,
    ),
  );
  const pinned = Object.fromEntries(Object.entries(topo.env ?? {}).map(([k, v]) => [k, String(v)]));
  return Object.assign(
    {},
    // An unreadable .env is reported at the topology that reads it: nothing names it.
    existsSync(dotEnv) ? readEnvFile(dotEnv, posOf([]), env) : {},
    ...fromFiles,
    env,
    pinned,
  ) as Env;
}

/** Paths in messages are relative to the working directory when that is shorter, as editors link them. */
export function displayPath(abs: string): string {
  const rel = relative(process.cwd(), abs);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : abs;
}
