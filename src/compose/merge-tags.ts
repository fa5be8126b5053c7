import type { ServiceLayer } from './layer.js';
import type { MountSpec } from './model.js';
import type { Node } from './node.js';
import { RESOURCE_KEY_HANDLERS } from './normalize-resource-keys.js';

/*
 * compose's `!reset` and `!override` tags in a later file (compose-spec "Merge and override"):
 * `!reset` removes what earlier files (or an extended service) set for that key, `!override`
 * replaces it instead of merging. Both are read on a service key (`ports: !reset []`,
 * `environment: !override {...}`) and on one entry of a mapping-valued key
 * (`environment: { DEBUG: !reset null }`, `depends_on: { cache: !reset {} }`). Within one
 * file a reset value is simply absent, as in compose.
 */

/** Layer fields a compose key writes, where the name is not the key in camelCase. */
const FIELDS: Record<string, (keyof ServiceLayer)[]> = {
  env_file: ['envFromFiles'],
  label_file: ['labelsFromFiles'],
  depends_on: ['dependsOn'],
  network_mode: ['networkMode'],
  stop_grace_period: ['stopGracePeriodMs'],
  shm_size: ['shmSizeBytes'],
  deploy: ['replicas', 'resources'],
  scale: ['replicas'],
  // A key that one of them writes, the same rule as compose's (they describe one thing).
  volumes: [],
  tmpfs: [],
};
const RESOURCE_KEYS = new Set(RESOURCE_KEY_HANDLERS.map(([k]) => k));

function fieldsOf(key: string): (keyof ServiceLayer)[] {
  return (
    FIELDS[key] ?? [
      key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()) as keyof ServiceLayer,
    ]
  );
}

/**
 * Reads a service key's tags into `layer.tagged`; returns the node to normalise (without its
 * reset entries), or undefined when the whole key is reset.
 */
export function readMergeTags(e: Node, layer: ServiceLayer): Node | undefined {
  const tag = e.tag;
  if (tag) (layer.tagged ??= []).push({ key: e.key, tag });
  if (tag === '!reset') return undefined;
  for (const sub of e.entries()) {
    if (sub.tag) (layer.tagged ??= []).push({ key: e.key, entry: sub.key, tag: sub.tag });
  }
  return e.withoutResets();
}

const isMountOf = (key: string, m: MountSpec): boolean =>
  key === 'tmpfs' ? m.type === 'tmpfs' : m.type !== 'tmpfs';

/** Applies b's tags to `merged` (a merged with b by the usual rules). */
export function applyMergeTags(merged: ServiceLayer, b: ServiceLayer): ServiceLayer {
  const out: Record<string, unknown> = { ...merged, tagged: undefined };
  const from = b as Record<string, unknown>;
  for (const t of b.tagged ?? []) {
    if (t.entry !== undefined) {
      for (const f of fieldsOf(t.key)) {
        const rec = out[f];
        if (!rec || typeof rec !== 'object' || Array.isArray(rec)) continue;
        const mine = (from[f] as Record<string, unknown> | undefined)?.[t.entry];
        const copy: Record<string, unknown> = { ...(rec as Record<string, unknown>) };
        if (mine === undefined) delete copy[t.entry];
        else copy[t.entry] = mine;
        out[f] = copy;
      }
      continue;
    }
    if (t.key === 'volumes' || t.key === 'tmpfs') {
      // Mounts of the other key stay; this key's come from b alone.
      out.mounts = (merged.mounts ?? []).filter(
        (m) => !isMountOf(t.key, m) || (b.mounts ?? []).includes(m),
      );
    } else if (RESOURCE_KEYS.has(t.key)) {
      const keys = { ...merged.resourceKeys };
      const mine = b.resourceKeys?.[t.key];
      if (mine) keys[t.key] = mine;
      else delete keys[t.key];
      out.resourceKeys = keys;
    } else {
      for (const f of fieldsOf(t.key)) out[f] = from[f];
    }
  }
  return out as ServiceLayer;
}
