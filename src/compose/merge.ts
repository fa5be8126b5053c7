import type {
  BuildLayer,
  FileObjectLayer,
  HealthcheckLayer,
  LayerNetwork,
  NetworkLayer,
  ResourcesLayer,
  ServiceLayer,
  SourceLayer,
  VolumeLayer,
} from './layer.js';
import type { PortSpec } from './model.js';
import { mergeLogging } from './normalize-logging.js';
import { applyMergeTags } from './merge-tags.js';

/*
 * compose's rules for several files (compose-spec "Merge and override"), which `extends`
 * follows too: mappings merge key by key, scalars and shell commands are replaced, sequences
 * are appended without duplicates, and the "unique resources" (ports by {ip, target,
 * published, protocol}; mounts, devices, secrets and configs by container path) replace an
 * earlier entry with the same key instead of adding a second one. The later source wins;
 * the merged service keeps the position where it was first defined, and each port, mount or
 * dependency keeps the position of the source that supplied it.
 */

/** Keeps only the fields a source actually wrote. */
function written<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function record<T>(
  a: Record<string, T> | undefined,
  b: Record<string, T> | undefined,
): Record<string, T> | undefined {
  return a && b ? { ...a, ...b } : (b ?? a);
}

/** Appends b to a; an item of b whose key is already present replaces it in place. */
function byKey<T>(a: T[] | undefined, b: T[] | undefined, key: (t: T) => string): T[] | undefined {
  if (!a || !b) return b ?? a;
  const out = [...a];
  const index = new Map(out.map((t, i) => [key(t), i]));
  for (const t of b) {
    const i = index.get(key(t));
    if (i === undefined) index.set(key(t), out.push(t) - 1);
    else out[i] = t;
  }
  return out;
}

/** Appends b to a, keeping every item (device requests: two requests may look alike). */
function appended<T>(a: T[] | undefined, b: T[] | undefined): T[] | undefined {
  return a && b ? [...a, ...b] : (b ?? a);
}

const same = (s: string): string => s;
const portKey = (p: PortSpec): string =>
  `${p.hostIp ?? ''}|${p.target}|${p.published ?? ''}|${p.protocol}`;

function mergeBuild(a: BuildLayer | undefined, b: BuildLayer | undefined): BuildLayer | undefined {
  if (!a || !b) return b ?? a;
  return {
    ...a,
    ...written(b),
    args: record(a.args, b.args),
    labels: record(a.labels, b.labels),
    additionalContexts: record(a.additionalContexts, b.additionalContexts),
    tags: byKey(a.tags, b.tags, same),
    pos: a.pos,
  };
}

function mergeHealthcheck(
  a: HealthcheckLayer | undefined,
  b: HealthcheckLayer | undefined,
): HealthcheckLayer | undefined {
  if (!a || !b) return b ?? a;
  // The test is what fails at run time, so the check points where its test was written.
  return { ...a, ...written(b), pos: b.test ? b.pos : a.pos };
}

function mergeResources(
  a: ResourcesLayer | undefined,
  b: ResourcesLayer | undefined,
): ResourcesLayer | undefined {
  if (!a || !b) return b ?? a;
  const devices = appended(a.reservations.devices, b.reservations.devices);
  return {
    limits: { ...a.limits, ...written(b.limits) },
    reservations: {
      ...a.reservations,
      ...written(b.reservations),
      ...(devices ? { devices } : {}),
    },
    at: { ...a.at, ...b.at },
  };
}

/** Networks merge by name, and each attachment as a mapping: aliases append, addresses are replaced. */
function mergeAttachments(
  a: Record<string, LayerNetwork> | undefined,
  b: Record<string, LayerNetwork> | undefined,
): Record<string, LayerNetwork> | undefined {
  if (!a || !b) return b ?? a;
  const out = { ...a };
  for (const [name, net] of Object.entries(b)) {
    const prev = a[name];
    out[name] = prev
      ? { ...prev, ...written(net), aliases: byKey(prev.aliases, net.aliases, same) ?? [] }
      : net;
  }
  return out;
}

export function mergeServices(a: ServiceLayer, b: ServiceLayer): ServiceLayer {
  return applyMergeTags(mergeByRules(a, b), b);
}

function mergeByRules(a: ServiceLayer, b: ServiceLayer): ServiceLayer {
  return {
    ...a,
    ...written(b),
    name: a.name,
    pos: a.pos,
    build: mergeBuild(a.build, b.build),
    healthcheck: mergeHealthcheck(a.healthcheck, b.healthcheck),
    resources: mergeResources(a.resources, b.resources),
    envFromFiles: record(a.envFromFiles, b.envFromFiles),
    environment: record(a.environment, b.environment),
    labels: record(a.labels, b.labels),
    labelsFromFiles: record(a.labelsFromFiles, b.labelsFromFiles),
    annotations: record(a.annotations, b.annotations),
    storageOpt: record(a.storageOpt, b.storageOpt),
    resourceKeys: record(a.resourceKeys, b.resourceKeys),
    logging: mergeLogging(a.logging, b.logging),
    sysctls: record(a.sysctls, b.sysctls),
    extraHosts: record(a.extraHosts, b.extraHosts),
    extensions: record(a.extensions, b.extensions),
    dependsOn: record(a.dependsOn, b.dependsOn),
    networks: mergeAttachments(a.networks, b.networks),
    ports: byKey(a.ports, b.ports, portKey),
    expose: byKey(a.expose, b.expose, (e) => `${e.port}/${e.protocol}`),
    mounts: byKey(a.mounts, b.mounts, (m) => m.target),
    devices: byKey(a.devices, b.devices, (d) => d.target),
    secrets: byKey(a.secrets, b.secrets, (r) => r.target),
    configs: byKey(a.configs, b.configs, (r) => r.target),
    gpus: appended(a.gpus, b.gpus),
    links: byKey(a.links, b.links, (l) => l.alias),
    volumesFrom: byKey(
      a.volumesFrom,
      b.volumesFrom,
      (v) => v.service ?? `container:${v.container}`,
    ),
    sharedAt: record(a.sharedAt, b.sharedAt),
    ulimits: byKey(a.ulimits, b.ulimits, (u) => u.name),
    dns: byKey(a.dns, b.dns, same),
    dnsSearch: byKey(a.dnsSearch, b.dnsSearch, same),
    dnsOpt: byKey(a.dnsOpt, b.dnsOpt, same),
    groupAdd: byKey(a.groupAdd, b.groupAdd, same),
    capAdd: byKey(a.capAdd, b.capAdd, same),
    capDrop: byKey(a.capDrop, b.capDrop, same),
    securityOpt: byKey(a.securityOpt, b.securityOpt, same),
    profiles: byKey(a.profiles, b.profiles, same),
  };
}

/** Top-level networks and volumes: options and labels merge by key, the rest is replaced. */
export function mergeResourceDefs<T extends NetworkLayer | VolumeLayer>(a: T, b: T): T {
  return {
    ...a,
    ...written(b),
    name: a.name,
    pos: a.pos,
    driverOpts: record(a.driverOpts, b.driverOpts),
    labels: record(a.labels, b.labels),
    configuredKeys: [...(a.configuredKeys ?? []), ...(b.configuredKeys ?? [])],
  };
}

/** Top-level secrets and configs: a later file's `file:` replaces an earlier one. */
function mergeFileObjects(a: FileObjectLayer, b: FileObjectLayer): FileObjectLayer {
  return { ...a, ...written(b), name: a.name, pos: a.pos };
}

export interface MergedProject {
  name?: string;
  services: Map<string, ServiceLayer>;
  networks: Map<string, NetworkLayer>;
  volumes: Map<string, VolumeLayer>;
  secrets: Map<string, FileObjectLayer>;
  configs: Map<string, FileObjectLayer>;
}

function mergeInto<T extends { name: string }>(
  into: Map<string, T>,
  items: T[],
  merge: (a: T, b: T) => T,
): void {
  for (const item of items) {
    const prev = into.get(item.name);
    into.set(item.name, prev ? merge(prev, item) : item);
  }
}

/** Merges the sources in order: a later source overrides and extends an earlier one. */
export function mergeSources(layers: SourceLayer[]): MergedProject {
  const out: MergedProject = {
    services: new Map(),
    networks: new Map(),
    volumes: new Map(),
    secrets: new Map(),
    configs: new Map(),
  };
  for (const layer of layers) {
    if (layer.name !== undefined) out.name = layer.name;
    for (const t of layer.tagged ?? []) {
      // !reset removes what earlier sources defined; !override starts the entry afresh.
      (out[t.section] as Map<string, unknown>).delete(t.name);
    }
    mergeInto(out.services, layer.services, mergeServices);
    mergeInto(out.networks, layer.networks, mergeResourceDefs);
    mergeInto(out.volumes, layer.volumes, mergeResourceDefs);
    mergeInto(out.secrets, layer.secrets, mergeFileObjects);
    mergeInto(out.configs, layer.configs, mergeFileObjects);
  }
  return out;
}
