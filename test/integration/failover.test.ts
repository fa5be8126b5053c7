import { beforeAll, describe, expect, it } from 'vitest';
import type { RunResults } from '../../src/model/results.js';
import { DockerEngine } from '../../src/engine/docker.js';
import { leftovers, NOTHING } from '../support/engine.js';
import { useEnv } from '../support/env.js';
import { runExample, scenariosByName, stepLines } from '../support/example.js';
import { checksByName } from '../support/run.js';
import { secondEngine, twoMachinesEnv } from '../support/second-engine.js';

// examples/failover (seed 000): load balancing between machines and failover when one goes
// down, each one check with `repeat` — run in this process on two real engines (the runner's
// and the test bed's second one, scripts/second-engine.sh), with variants appended that must
// fail as designed.

const bed = secondEngine();

type Series = {
  attempts: number;
  passed: number;
  failed: number;
  ratio: number;
  stoppedEarly?: string;
};
type Distribution = { counts: Record<string, number>; shares: Record<string, number> };

describe.skipIf(!bed.ok)('examples/failover (seed 000), on two engines', () => {
  // The gpu backend's port on the second machine is fixed in the example (the balancer names
  // it): one of this run's own, so that the engine passes of `npm test`, which run side by
  // side against the same second machine, do not take each other's.
  useEnv(
    bed.ok
      ? { ...twoMachinesEnv(bed), GPU_PORT: String(51_000 + Math.floor(Math.random() * 4_000)) }
      : {},
  );
  let results: RunResults;
  beforeAll(async () => {
    ({ results } = await runExample('failover', {
      extraScenarios: `
- name: the spread seen from inside the network (a probe in cpu's namespace)
  steps:
    - check:
        http: { service: lb, port: 8080, path: /, from: cpu }
        repeat: { count: 10, distribution: { header: x-backend, min: 0.4, backends: [gpu, cpu] } }
- name: "negative: with gpu dead, traffic no longer spreads over both"
  steps:
    - kill: { service: gpu }
    - check:
        http: { service: lb, port: 8080, path: / }
        repeat: { count: 20, distribution: { header: x-backend, min: 0.3, backends: [gpu, cpu] } }
- name: "negative: with both backends dead, requests are lost"
  steps:
    - kill: { service: cpu }
    - check:
        http: { service: lb, port: 8080, path: / }
        expect: { status: 200 }
        repeat: { count: 10, successRatio: 0.9 }
`,
    }));
  }, 240_000);

  it('spreads traffic over both backends, round-robin', () => {
    const c = checksByName(results);
    expect(results.checks.map((x) => `${x.name}: ${x.status} — ${x.message}`)).toEqual([
      'traffic spreads over both machines: passed — 40/40 passed; x-backend: cpu 50%, gpu 50%',
      expect.stringMatching(/^the balancer sees both backends up: passed — status 200 in \d+ms$/),
    ]);
    const spread = c['traffic spreads over both machines']!.evidence;
    expect(spread.repeat).toMatchObject({
      attempts: 40,
      passed: 40,
      failed: 0,
      ratio: 1,
      count: 40,
    });
    expect(spread.distribution).toEqual({
      header: 'x-backend',
      counts: { gpu: 20, cpu: 20 },
      shares: { cpu: 0.5, gpu: 0.5 },
      min: 0.3,
      backends: ['gpu', 'cpu'],
    });
    expect(spread.last).toMatchObject({
      status: 200,
      headers: { 'x-backend': expect.stringMatching(/^(gpu|cpu)$/) },
    });
  });

  it('gpu killed: 50 requests right after, every one answered by cpu; gpu back: the spread resumes', () => {
    const sc =
      scenariosByName(results)['the GPU service dies, the CPU fallback takes the whole load'];
    expect(stepLines(sc).filter((l) => !l.includes(': passed'))).toEqual([]);
    const burst = sc!.steps[1]!;
    expect(burst.message).toBe('50/50 passed; x-backend: cpu 100%');
    expect(burst.evidence.repeat).toMatchObject({ attempts: 50, passed: 50, failed: 0, ratio: 1 });
    expect((burst.evidence.distribution as Distribution).counts).toEqual({ cpu: 50 });
    const back = sc!.steps[4]!;
    const d = back.evidence.distribution as Distribution;
    expect(d.counts.gpu! + d.counts.cpu!).toBe(20);
    expect(d.counts.gpu).toBeGreaterThanOrEqual(6);
    expect(d.counts.cpu).toBeGreaterThanOrEqual(6);
  });

  it('gpu frozen for 2 s under steady load: no request lost, cpu carries it, gpu rejoins', () => {
    const sc =
      scenariosByName(results)[
        'the GPU service freezes for 2 s under steady load, no request is lost, it rejoins'
      ];
    expect(stepLines(sc).filter((l) => !l.includes(': passed'))).toEqual([]);
    const load = sc!.steps[1]!;
    const series = load.evidence.repeat as Series & { forMs: number; durationMs: number };
    expect(series.forMs).toBe(4000);
    expect(series.failed).toBe(0);
    expect(series.attempts).toBeGreaterThan(10);
    expect(series.durationMs).toBeGreaterThanOrEqual(3900);
    const d = load.evidence.distribution as Distribution;
    expect(d.counts.cpu).toBeGreaterThan(d.counts.gpu!);
    expect(d.counts.gpu).toBeGreaterThan(0);
    expect(sc!.faults).toEqual([
      expect.objectContaining({ kind: 'pause', reason: 'its 2s ran out' }),
    ]);
  });

  it('reads the backend header from inside the network too (busybox wget in a probe)', () => {
    const sc =
      scenariosByName(results)[
        "the spread seen from inside the network (a probe in cpu's namespace)"
      ];
    expect(stepLines(sc)).toEqual([
      'http check: passed — 10/10 passed; x-backend: cpu 50%, gpu 50%',
    ]);
    expect(sc!.steps[0]!.evidence.last).toMatchObject({
      via: expect.stringMatching(/-main-cpu-1$/),
      headers: { 'x-backend': expect.any(String) },
    });
  });

  it('negative: with gpu dead the spread check fails, naming the backend that never answered', () => {
    const sc =
      scenariosByName(results)['negative: with gpu dead, traffic no longer spreads over both']!;
    expect(sc.status).toBe('failed');
    expect(sc.steps[1]!.message).toBe(
      '20/20 passed; gpu never answered (x-backend: cpu 100%; expected gpu, cpu)',
    );
  });

  it("negative: with both backends dead, the series fails on the ratio with the balancer's 502", () => {
    const sc = scenariosByName(results)['negative: with both backends dead, requests are lost']!;
    expect(sc.status).toBe('failed');
    const step = sc.steps[1]!;
    // 0.9 of 10 allows one failure: the second decides it.
    expect(step.message).toBe(
      '0/2 passed (0%, needed 90%); stopped after attempt 2: 2 failed, more than the 1 allowed; first failure (attempt 1): status 502, expected 200',
    );
    expect(step.evidence.repeat).toMatchObject({ attempts: 2, passed: 0, failed: 2 });
    const body = JSON.parse(
      (step.evidence.firstFailure as { evidence: { body: string } }).evidence.body,
    );
    expect(body.error).toBe('no backend answered');
    expect(body.tried.map((t: { name: string }) => t.name).sort()).toEqual(['cpu', 'gpu']);
  });

  it('leaves nothing behind on either engine', async () => {
    // lb, gpu, cpu and the probe sidecar that ran wget in cpu's namespace
    expect(results.teardown).toMatchObject({ kept: false, containers: 4, errors: [] });
    expect(await leftovers({ runId: results.runId })).toEqual(NOTHING);
    const pc2 = new DockerEngine({ node: 'pc2', url: bed.ok ? bed.tcp : undefined });
    try {
      expect(await leftovers({ runId: results.runId }, pc2)).toEqual(NOTHING);
    } finally {
      await pc2.close();
    }
  });
});
