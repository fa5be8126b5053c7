import { Duration, parseDuration } from '../../src/common/duration.js';
import type { ComposeProject, ServiceSpec } from '../../src/compose/model.js';
import type { Suite, TopologySpec } from '../../src/model/suite.js';

const pos = { file: 'test.yml', line: 1, column: 1 };

/** A service with compose's defaults, for tests that build models by hand. */
export function service(name: string, over: Partial<ServiceSpec> = {}): ServiceSpec {
  return {
    name,
    pos,
    image: 'stackcheck-fixture/busybox:1',
    environment: {},
    ports: [],
    expose: [],
    dependsOn: {},
    networks: {},
    mounts: [],
    labels: {},
    readOnly: false,
    privileged: false,
    capAdd: [],
    capDrop: [],
    extraHosts: [],
    ulimits: [],
    replicas: 1,
    resources: { limits: {}, reservations: { devices: [] } },
    profiles: [],
    dns: [],
    dnsSearch: [],
    dnsOpt: [],
    groupAdd: [],
    devices: [],
    links: [],
    storageOpt: {},
    annotations: {},
    sysctls: {},
    securityOpt: [],
    tty: false,
    stdinOpen: false,
    extensions: {},
    ...over,
  };
}

export function dependsOn(...names: string[]): ServiceSpec['dependsOn'] {
  return Object.fromEntries(
    names.map((n) => [n, { condition: 'service_started', required: true, pos }]),
  );
}

export function topology(
  name: string,
  services: ServiceSpec[],
  over: Partial<ComposeProject> = {},
): TopologySpec {
  return {
    name,
    node: 'local',
    pos,
    waitTimeoutMs: 60_000,
    stableMs: 1000,
    publish: 'declared',
    project: {
      projectDir: '/tmp',
      services: Object.fromEntries(services.map((s) => [s.name, s])),
      networks: {},
      volumes: {},
      warnings: [],
      ...over,
    },
  };
}

export function suite(topologies: TopologySpec[]): Suite {
  return {
    name: 'unit',
    file: 'test.yml',
    dir: '/tmp',
    nodes: { local: { name: 'local', labels: [] } },
    topologies,
    checks: [],
    scenarios: [],
    secrets: [],
    probeImage: 'stackcheck-fixture/busybox:1',
    report: {},
    warnings: [],
  };
}

/** A duration as the manifest's schema hands it on (src/model/schema-parts.ts). */
export function dur(text: string): Duration {
  return new Duration(text, parseDuration(text)!);
}
