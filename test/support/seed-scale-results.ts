import type { CheckResult, RunResults } from '../../src/model/results.js';
import { check, pos, results, service, topology } from './report-fixtures.js';

/**
 * Results at seed 000's scale: the main PC's 12 groups and PC2's 7, three services each (57),
 * one health check per group, probes between groups on each machine and between the machines,
 * a propagation across them, and one failing cross-machine probe: 42 checks in all.
 */

export const MAIN_GROUPS = [
  'coordination',
  'emotion_system',
  'infra_core',
  'language_stack',
  'learning_gpu',
  'memory_stack',
  'observability',
  'reasoning_gpu',
  'speech_gpu',
  'translation_services',
  'utility_cpu',
  'vision_gpu',
];
export const PC2_GROUPS = [
  'pc2_async_pipeline',
  'pc2_infra_core',
  'pc2_memory_stack',
  'pc2_tutoring_cpu',
  'pc2_utility_suite',
  'pc2_vision_dream_gpu',
  'pc2_web_interface',
];

/** Where a suite generated outside the working directory has its manifest: absolute. */
export const SEED_MANIFEST = '/tmp/seed-000/stackcheck.yml';

const at = (line: number) => pos(line, 7, SEED_MANIFEST);

export function seedScaleResults(): RunResults {
  const group = (name: string, node: string) =>
    topology(
      name,
      [
        service('store', { networks: ['default'] }),
        service('api', { dependsOn: [{ service: 'store', condition: 'service_healthy' }] }),
        service('worker', { dependsOn: [{ service: 'api', condition: 'service_started' }] }),
      ],
      { node, source: pos(10, 5, SEED_MANIFEST) },
    );
  const topologies = [
    ...MAIN_GROUPS.map((g) => group(g, 'main-pc')),
    ...PC2_GROUPS.map((g) => group(g, 'pc2')),
  ];
  let line = 100;
  const probe = (
    name: string,
    kind: string,
    from: string,
    to: string,
    port: number,
    over: Partial<CheckResult> = {},
  ) =>
    check(name, {
      kind,
      source: at((line += 6)),
      targets: [to, from],
      links: [{ from, to, port }],
      ...over,
    });
  const checks: CheckResult[] = [
    // One health check per group, from the runner: no link between services.
    ...topologies.map((t) =>
      check(`${t.name} api is healthy`, { source: at((line += 6)), targets: [`${t.name}/api`] }),
    ),
    // Inter-group on the main PC: everything reaches infra_core's store.
    ...MAIN_GROUPS.filter((g) => g !== 'infra_core').map((g) =>
      probe(`${g} reaches infra_core`, 'tcp', `${g}/api`, 'infra_core/store', 6379),
    ),
    // Inter-group on PC2.
    ...PC2_GROUPS.filter((g) => g !== 'pc2_infra_core').map((g) =>
      probe(`${g} reaches pc2_infra_core`, 'tcp', `${g}/api`, 'pc2_infra_core/store', 6379),
    ),
    // Between the machines.
    probe('pc2 memory reads main memory', 'http', 'pc2_memory_stack/api', 'memory_stack/api', 8080),
    probe(
      'pc2 web reaches main observability',
      'http',
      'pc2_web_interface/api',
      'observability/api',
      4318,
      {
        status: 'failed',
        message: 'connection refused',
        evidence: { request: 'http://observability-api:4318/v1/traces', error: 'ECONNREFUSED' },
      },
    ),
    probe('coordination reaches pc2 web', 'reach', 'coordination/api', 'pc2_web_interface/api', 80),
    check('memory writes propagate to pc2', {
      kind: 'propagation',
      source: at((line += 6)),
      targets: ['memory_stack/api', 'pc2_memory_stack/api'],
      links: [{ from: 'memory_stack/api', to: 'pc2_memory_stack/api' }],
    }),
    ...['main-pc', 'pc2'].map((node) =>
      check(`${node} ports stay in its range`, {
        kind: 'ports',
        source: at((line += 6)),
        targets: [],
        evidence: {},
      }),
    ),
  ];
  return results({ status: 'failed', topologies, checks });
}
