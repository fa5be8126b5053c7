import { closest } from '../common/suggest.js';
import type { LoadContext, Node } from './node.js';

/**
 * compose-spec keys stackcheck knows but does not implement, per level. They get a plain
 * "not supported" message; any other unknown key is treated as a probable typo and gets a
 * "did you mean" among the supported keys.
 */
const KNOWN_UNSUPPORTED: Record<string, readonly string[]> = {
  'top-level': ['include', 'models'],
  service: [
    'attach',
    'blkio_config',
    'cgroup',
    'cpu_count',
    'cpu_percent',
    'cpu_rt_period',
    'cpu_rt_runtime',
    'credential_spec',
    'develop',
    'device_cgroup_rules',
    'external_links',
    'isolation',
    'models',
    'post_start',
    'pre_stop',
    'provider',
    'use_api_socket',
    'volumes_from',
  ],
  build: [
    'additional_contexts',
    'cache_from',
    'cache_to',
    'dockerfile_inline',
    'entitlements',
    'extra_hosts',
    'isolation',
    'network',
    'no_cache',
    'platforms',
    'privileged',
    'pull',
    'secrets',
    'shm_size',
    'ssh',
    'tags',
    'ulimits',
  ],
  deploy: [
    'endpoint_mode',
    'labels',
    'mode',
    'placement',
    'restart_policy',
    'rollback_config',
    'update_config',
  ],
  reservations: ['generic_resources'],
  network: ['enable_ipv4'],
  'service network': [
    'driver_opts',
    'gw_priority',
    'interface_name',
    'link_local_ips',
    'mac_address',
  ],
  'bind options': ['propagation', 'selinux'],
  'volume options': ['subpath'],
  mount: ['consistency', 'image'],
  ipam: ['options'],
  'ipam config': ['aux_addresses'],
  'env_file entry': ['format'],
  secret: ['labels', 'driver', 'driver_opts', 'template_driver'],
  config: ['labels', 'driver', 'driver_opts', 'template_driver'],
};

/**
 * Reports every key of mapping `n` that is not in `supported`. `x-` keys are compose
 * extensions and always allowed. `level` names the kind of mapping in the message
 * ("service", "deploy", ...).
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
    const known = KNOWN_UNSUPPORTED[level]?.includes(key) ?? false;
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
