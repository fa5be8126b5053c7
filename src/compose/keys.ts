import { closest } from '../common/suggest.js';
import type { LoadContext, Node } from './node.js';

/*
 * Every key of the compose specification (compose-spec.json, as compose v2 2.40 embeds it)
 * is either read by a normaliser (the `supported` list each caller passes) or listed here
 * with why it does not change what runs on the single engine a topology runs on. Such a key
 * is accepted, as compose accepts it, and reported once as a warning ("ignored on a single
 * engine: why"), which `validate` prints and `run` shows among its notes: never a refusal of
 * a file compose accepts, never a silent drop. Any other key is a probable typo and gets a
 * "did you mean" among the supported keys.
 */

const SWARM = 'a Swarm setting; a single engine has no orchestrator to apply it';
const WINDOWS = 'Windows containers only';
const NOT_APPLIED = 'stackcheck does not pass it to the engine';
const BUILD_NOT_APPLIED = "stackcheck's build does not pass it to the engine";

export const IGNORED: Record<string, Readonly<Record<string, string>>> = {
  'top-level': {
    models: 'AI models are served by Docker Model Runner, not by the engine',
  },
  service: {
    attach: 'it only decides whether `docker compose up` follows the logs',
    blkio_config: `block-IO weights and limits: ${NOT_APPLIED}`,
    cgroup: `the cgroup namespace mode: ${NOT_APPLIED}`,
    cpu_count: WINDOWS,
    cpu_percent: WINDOWS,
    cpu_rt_period: `real-time CPU scheduling: ${NOT_APPLIED}`,
    cpu_rt_runtime: `real-time CPU scheduling: ${NOT_APPLIED}`,
    credential_spec: WINDOWS,
    develop: 'compose watch (syncing files while developing) has nothing to do in a test run',
    device_cgroup_rules: `device cgroup rules: ${NOT_APPLIED}`,
    external_links:
      'links to containers outside the project (legacy --link); reach them over a shared network instead',
    isolation: WINDOWS,
    models: 'AI models are served by Docker Model Runner, not by the engine',
    provider:
      'a provider service is run by a compose plugin, not by the engine: stackcheck does not run it, and services that depend on it start without it',
    post_start: `lifecycle hooks: ${NOT_APPLIED}`,
    pre_stop: `lifecycle hooks: ${NOT_APPLIED}`,
    pull_refresh_after: 'it only decides when `docker compose` pulls again',
    use_api_socket: `it mounts the Docker CLI's socket and credentials: ${NOT_APPLIED}`,
  },
  build: {
    cache_from: 'cache sources only speed a build up',
    cache_to: 'cache exports only speed later builds up',
    entitlements: `BuildKit entitlements: ${BUILD_NOT_APPLIED}`,
    extra_hosts: BUILD_NOT_APPLIED,
    isolation: WINDOWS,
    network: BUILD_NOT_APPLIED,
    no_cache: BUILD_NOT_APPLIED,
    platforms:
      'several platforms need buildx; the engine builds for its own platform (set the service\'s "platform")',
    privileged: `BuildKit entitlements: ${BUILD_NOT_APPLIED}`,
    provenance: 'attestations only matter for pushed images',
    pull: BUILD_NOT_APPLIED,
    sbom: 'attestations only matter for pushed images',
    shm_size: BUILD_NOT_APPLIED,
    ulimits: BUILD_NOT_APPLIED,
  },
  deploy: {
    endpoint_mode: SWARM,
    labels: `${SWARM} (labels on the Swarm service, not on containers)`,
    mode: SWARM,
    placement: SWARM,
    rollback_config: SWARM,
    update_config: SWARM,
  },
  reservations: { generic_resources: SWARM },
  network: { enable_ipv4: `needs Engine API 1.48: ${NOT_APPLIED}` },
  'service network': {
    driver_opts: NOT_APPLIED,
    gw_priority: NOT_APPLIED,
    interface_name: NOT_APPLIED,
    link_local_ips: NOT_APPLIED,
    mac_address: NOT_APPLIED,
  },
  'bind options': {
    recursive: NOT_APPLIED,
    selinux: `SELinux relabelling: ${NOT_APPLIED}`,
  },
  'volume options': { labels: NOT_APPLIED, subpath: `needs Engine API 1.45: ${NOT_APPLIED}` },
  mount: {
    consistency: 'Docker Desktop for Mac only',
    image: 'options of a mount of type image, which stackcheck does not pass to the engine',
  },
  ipam: { options: NOT_APPLIED },
  'ipam config': { aux_addresses: NOT_APPLIED },
  secret: {
    driver: SWARM,
    driver_opts: SWARM,
    labels: SWARM,
    template_driver: SWARM,
  },
  config: { labels: SWARM, template_driver: SWARM },
};

/**
 * compose-spec keys that change what runs and that stackcheck does not apply yet: a plain
 * "not supported" refusal, never a silent drop. (Helper-owned normalisers take a key off
 * this list when they implement it.)
 */
const NOT_YET: Record<string, readonly string[]> = {
  'top-level': [],
  service: [],
  build: [],
  deploy: [],
};

/**
 * Reports every key of mapping `n` that is not in `supported`. `x-` keys are compose
 * extensions and always allowed; keys compose accepts but that change nothing on one engine
 * become one warning each. `level` names the kind of mapping in the message ("service",
 * "deploy", ...).
 */
export function checkKeys(
  n: Node,
  supported: readonly string[],
  level: string,
  ctx: LoadContext,
): void {
  for (const e of n.entries()) {
    const key = e.key;
    if (key.startsWith('x-') || supported.includes(key)) continue;
    const why = IGNORED[level]?.[key];
    if (why !== undefined) {
      ignored(e, why, ctx);
      continue;
    }
    const known = NOT_YET[level]?.includes(key) ?? false;
    const guess = known ? undefined : closest(key, supported);
    const where = n.label ? ` (in ${n.label})` : '';
    ctx.problems.add(
      e.keyPos,
      known
        ? `compose key "${key}"${where} is not supported by stackcheck`
        : `unknown ${level} key "${key}"${where}: stackcheck does not support it`,
      guess
        ? `Did you mean "${guess}"?`
        : known
          ? `stackcheck realises compose files itself and does not implement "${key}"; remove it from what stackcheck loads (it may stay in a file only docker compose reads).`
          : `Remove it; supported ${level} keys are: ${supported.join(', ')}.`,
    );
  }
}

/** One warning per place: a base file that several services extend is read more than once. */
export function ignored(e: Node, why: string, ctx: LoadContext): void {
  const pos = e.keyPos;
  const message = `${e.label}: ignored on a single engine: ${why}`;
  const same = (w: { message: string; pos: typeof pos }): boolean =>
    w.message === message &&
    w.pos.file === pos.file &&
    w.pos.line === pos.line &&
    w.pos.column === pos.column;
  if (!ctx.warnings.some(same)) ctx.warnings.push({ message, pos });
}
