import { isAbsolute, relative } from 'node:path';
import type {
  BuildLayer,
  HealthcheckLayer,
  LayerNetwork,
  NetworkLayer,
  ServiceLayer,
  VolumeLayer,
} from './layer.js';
import type {
  BuildSpec,
  HealthcheckSpec,
  NetworkSpec,
  ServiceNetwork,
  ServiceSpec,
  VolumeSpec,
} from './model.js';
import type { LoadContext } from './node.js';
import { finalizeResources } from './normalize-resource-keys.js';
import { setDefined } from './read.js';

/*
 * Merged layers -> the model: compose's defaults are applied here, once, after merging,
 * so that a default never overrides what an earlier file wrote.
 */

function definedValues(o: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(o).filter((e): e is [string, string] => e[1] !== undefined),
  );
}

function build(b: BuildLayer, ctx: LoadContext): BuildSpec {
  const context = b.context ?? ctx.projectDir;
  const remote = /^([a-z][a-z0-9+.-]*:\/\/|git@)/i.test(context);
  let dockerfile = b.dockerfile ?? 'Dockerfile';
  if (isAbsolute(dockerfile) && !remote) {
    // Docker's build API names the Dockerfile by its path inside the context.
    dockerfile = relative(context, dockerfile);
    if (dockerfile.startsWith('..')) {
      ctx.problems.add(
        b.pos,
        `the Dockerfile ${b.dockerfile} is outside the build context ${context}`,
        'Move the Dockerfile into the context folder, or widen the context.',
      );
    }
  }
  return {
    context,
    dockerfile,
    args: definedValues(b.args ?? {}),
    ...(b.target !== undefined ? { target: b.target } : {}),
    labels: b.labels ?? {},
    ...(remote && { remote }),
    ...(b.dockerfileInline !== undefined && { dockerfileInline: b.dockerfileInline }),
    ...(b.tags?.length && { tags: b.tags }),
    ...(b.additionalContexts &&
      Object.keys(b.additionalContexts).length > 0 && { additionalContexts: b.additionalContexts }),
    ...(b.secrets?.length && { secrets: b.secrets }),
    ...(b.ssh?.length && { ssh: b.ssh }),
    pos: b.pos,
  };
}

/** A service's network attachment keeps its position only while loading (for errors). */
function withoutPos(n: LayerNetwork): ServiceNetwork {
  const out: ServiceNetwork = { aliases: n.aliases };
  setDefined(out, 'ipv4Address', n.ipv4Address);
  setDefined(out, 'ipv6Address', n.ipv6Address);
  setDefined(out, 'priority', n.priority);
  return out;
}

function healthcheck(h: HealthcheckLayer): HealthcheckSpec {
  return h.disable ? { disable: true, pos: h.pos } : { ...h, disable: false };
}

/** Layer fields that only exist while loading; finalizeService folds them into others. */
const LOAD_ONLY = [
  'resources',
  'resourceKeys',
  'gpus',
  'secrets',
  'configs',
  'extends',
  'deployRestart',
  'tagged',
  'provider',
  'cdiDevices',
] as const satisfies readonly (keyof ServiceLayer)[];

function omit<T extends object, K extends keyof T>(o: T, keys: readonly K[]): Omit<T, K> {
  const out = { ...o };
  for (const k of keys) delete out[k];
  return out;
}

export function finalizeService(l: ServiceLayer, ctx: LoadContext): ServiceSpec {
  const {
    envFromFiles,
    environment,
    extraHosts,
    networks,
    build: b,
    healthcheck: h,
    labelsFromFiles,
    logging,
    ...plain
  } = omit(l, LOAD_ONLY);
  return {
    ...plain,
    ...(b ? { build: build(b, ctx) } : {}),
    ...(h ? { healthcheck: healthcheck(h) } : {}),
    ...(logging ? { logging: { ...logging, options: logging.options ?? {} } } : {}),
    environment: definedValues({ ...envFromFiles, ...environment }),
    ports: l.ports ?? [],
    expose: l.expose ?? [],
    dependsOn: l.dependsOn ?? {},
    networks: Object.fromEntries(
      Object.entries(networks ?? {}).map(([name, n]) => [name, withoutPos(n)]),
    ),
    mounts: l.mounts ?? [],
    labels: { ...labelsFromFiles, ...l.labels },
    readOnly: l.readOnly ?? false,
    privileged: l.privileged ?? false,
    capAdd: l.capAdd ?? [],
    capDrop: l.capDrop ?? [],
    extraHosts: Object.entries(extraHosts ?? {}).flatMap(([host, ips]) =>
      ips.map((ip) => `${host}:${ip}`),
    ),
    ulimits: l.ulimits ?? [],
    replicas: l.replicas ?? 1,
    resources: finalizeResources(l, ctx),
    profiles: l.profiles ?? [],
    dns: l.dns ?? [],
    dnsSearch: l.dnsSearch ?? [],
    dnsOpt: l.dnsOpt ?? [],
    groupAdd: l.groupAdd ?? [],
    devices: l.devices ?? [],
    links: l.links ?? [],
    storageOpt: l.storageOpt ?? {},
    annotations: l.annotations ?? {},
    sysctls: l.sysctls ?? {},
    securityOpt: l.securityOpt ?? [],
    tty: l.tty ?? false,
    stdinOpen: l.stdinOpen ?? false,
    extensions: l.extensions ?? {},
  };
}

/**
 * What networks and volumes share. A `name:` is honoured only for external resources:
 * stackcheck names what it creates per run, so parallel runs never share a network or volume.
 */
function resource(
  l: VolumeLayer | NetworkLayer,
  kind: 'network' | 'volume',
  ctx: LoadContext,
): VolumeSpec {
  const external = l.external ?? false;
  if (external) {
    for (const k of l.configuredKeys ?? []) {
      ctx.problems.add(
        k.pos,
        `external ${kind} "${l.name}" cannot also set "${k.key}"`,
        `An external ${kind} already exists: remove "${k.key}", or drop external: true.`,
      );
    }
  } else if (l.customName) {
    ctx.warnings.push({
      message: `${kind} "${l.name}": name "${l.customName.value}" is not used; stackcheck names the ${kind}s it creates per run so runs stay isolated`,
      pos: l.customName.pos,
    });
  }
  return {
    name: l.name,
    ...(l.driver !== undefined ? { driver: l.driver } : {}),
    driverOpts: l.driverOpts ?? {},
    labels: l.labels ?? {},
    external,
    ...(external && l.customName ? { externalName: l.customName.value } : {}),
    pos: l.pos,
  };
}

export function finalizeNetwork(l: NetworkLayer, ctx: LoadContext): NetworkSpec {
  return {
    ...resource(l, 'network', ctx),
    internal: l.internal ?? false,
    attachable: l.attachable ?? false,
    enableIpv6: l.enableIpv6 ?? false,
    ...(l.ipam ? { ipam: l.ipam } : {}),
  };
}

export function finalizeVolume(l: VolumeLayer, ctx: LoadContext): VolumeSpec {
  return resource(l, 'volume', ctx);
}
