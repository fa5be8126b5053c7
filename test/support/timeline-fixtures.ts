import { check, results, scenario, service, topology } from './report-fixtures.js';

/** A run with a partition and a crash in a scenario, and a check that failed inside the partition. */
export function faultyRun() {
  return results({
    status: 'failed',
    durationMs: 9_000,
    topologies: [
      topology('web', [
        service('db', { startingMs: 50, startedMs: 100, healthyMs: 1_300 }),
        service('api', { startingMs: 1_300, startedMs: 1_350, healthyMs: 2_000 }),
      ]),
    ],
    checks: [
      check('api answers', { startedMs: 2_100, durationMs: 40 }),
      check('api says: teapot', { status: 'failed', startedMs: 2_150, durationMs: 60 }),
    ],
    scenarios: [
      scenario('split brain', {
        status: 'failed',
        startedMs: 3_000,
        durationMs: 5_000,
        steps: [
          step(0, 'partition', 'cut db off', 0, 200),
          { ...step(1, 'crash', 'crash api', 300, 400), targets: ['web/api'] },
          step(2, 'check', 'api still answers', 1_000, 2_500, 'failed'),
        ],
        faults: [
          {
            id: 'f1',
            kind: 'partition',
            description: 'web/db | web/api',
            mechanism: 'iptables',
            reason: 'the end of the scenario',
            appliedMs: 3_150,
            healedMs: 7_900,
          },
        ],
      }),
    ],
  });
}

function step(
  index: number,
  action: string,
  name: string,
  startedMs: number,
  durationMs: number,
  status: 'passed' | 'failed' = 'passed',
) {
  return {
    index,
    action,
    name,
    status,
    startedMs,
    durationMs,
    message: status,
    evidence: {},
    source: { file: 'stackcheck.yml', line: 40 + index, column: 9 },
  };
}
