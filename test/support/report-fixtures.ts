import type {
  CheckResult,
  RunResults,
  ScenarioResult,
  ServiceResult,
  TopologyResult,
} from '../../src/model/results.js';

/** Results as run() makes them, for the reporters' tests: small builders with sane defaults. */

export const pos = (line: number, column = 5, file = 'stackcheck.yml') => ({ file, line, column });

export function service(name: string, over: Partial<ServiceResult> = {}): ServiceResult {
  return {
    name,
    status: 'healthy',
    health: 'healthy',
    startedMs: 100,
    healthyMs: 1300,
    replicas: 1,
    source: pos(2, 3, 'compose.yml'),
    dependsOn: [],
    networks: ['default'],
    ...over,
  };
}

export function topology(
  name: string,
  services: ServiceResult[],
  over: Partial<TopologyResult> = {},
): TopologyResult {
  return {
    name,
    node: 'local',
    status: 'passed',
    source: pos(4, 3),
    services,
    networks: [...new Set(services.flatMap((s) => s.networks ?? []))],
    ...over,
  };
}

export function check(name: string, over: Partial<CheckResult> = {}): CheckResult {
  return {
    name,
    kind: 'http',
    status: 'passed',
    durationMs: 12,
    message: 'status 200 in 3ms',
    source: pos(10),
    targets: ['web/api'],
    attempts: 1,
    flaky: false,
    evidence: { request: 'http://127.0.0.1:32768/health', status: 200 },
    ...over,
  };
}

export function scenario(name: string, over: Partial<ScenarioResult> = {}): ScenarioResult {
  return {
    name,
    status: 'passed',
    durationMs: 2_000,
    source: pos(30, 5),
    steps: [
      {
        index: 0,
        action: 'stop',
        name: 'stop api',
        status: 'passed',
        startedMs: 0,
        durationMs: 800,
        message: 'stopped after 0.8s',
        evidence: {},
        source: pos(32, 9),
      },
    ],
    faults: [],
    ...over,
  };
}

export function results(over: Partial<RunResults> = {}): RunResults {
  const topologies = over.topologies ?? [
    topology('web', [
      service('db', { networks: ['back'] }),
      service('api', {
        dependsOn: [{ service: 'db', condition: 'service_healthy' }],
        networks: ['front', 'back'],
        source: pos(8, 3, 'compose.yml'),
      }),
    ]),
  ];
  const checks = over.checks ?? [check('api answers')];
  const allPassed =
    topologies.every((t) => t.status === 'passed') &&
    checks.every((c) => c.status === 'passed' || c.status === 'skipped');
  return {
    suite: 'shop',
    runId: 'abcd1234',
    status: allPassed ? 'passed' : 'failed',
    durationMs: 4_200,
    startedAt: '2025-01-02T03:04:05.000Z',
    topologies,
    checks,
    scenarios: [],
    teardown: { kept: false, containers: 2, networks: 2, volumes: 0, errors: [] },
    ...over,
  };
}
