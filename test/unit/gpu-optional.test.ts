/**
 * `gpu: optional` on an in-memory engine that refuses GPU device requests as Docker without
 * the NVIDIA Container Toolkit does: the service is started again without them and says so;
 * `required` fails naming the service and the missing driver. The real engine's side is in
 * test/integration/gpu-optional.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { FakeEngine, type FakeContainer } from '../../src/engine/fake.js';
import type { TopologySpec } from '../../src/model/suite.js';
import { LABEL } from '../../src/common/labels.js';
import { run } from '../../src/run.js';
import { service, suite, topology } from '../support/specs.js';
import { VirtualClock } from '../support/virtual-clock.js';

const IMAGE = 'stackcheck-fixture/busybox:1';
const NO_DRIVER = 'could not select device driver "" with capabilities: [[gpu]]';

const wantsGpu = (c: FakeContainer) => (c.service?.resources.reservations.devices.length ?? 0) > 0;

function gpuTopology(gpu?: TopologySpec['gpu']): TopologySpec {
  const vision = service('vision', {
    replicas: 2,
    resources: { limits: {}, reservations: { devices: [{ capabilities: ['gpu'], count: -1 }] } },
  });
  return {
    ...topology('ml', [vision, service('cpu')]),
    stableMs: 0,
    waitTimeoutMs: 10_000,
    ...(gpu && { gpu }),
  };
}

async function runGpuless(t: TopologySpec) {
  const clock = new VirtualClock();
  const fake = new FakeEngine({ clock, images: [IMAGE] }).failStart(wantsGpu, { error: NO_DRIVER });
  const notes: string[] = [];
  const results = await run(suite([t]), {
    engineFactory: () => fake,
    clock,
    keep: true,
    progress: { emit: (e) => e.kind === 'note' && notes.push(e.text) },
  });
  return { results, fake, notes };
}

describe('gpu: optional', () => {
  it('starts the service again without its device requests, marked with why, and says so', async () => {
    const { results, fake, notes } = await runGpuless(gpuTopology('optional'));
    expect(results.status).toBe('passed');
    const why = `node "local" cannot give it a GPU: ${NO_DRIVER}`;
    const [vision, cpu] = results.topologies[0]!.services;
    expect(vision).toMatchObject({ name: 'vision', status: 'running', withoutGpu: why });
    expect(cpu!.status).toBe('running');
    expect(cpu).not.toHaveProperty('withoutGpu');
    const running = fake.containers({ [LABEL.service]: 'vision' });
    expect(running.map((c) => [c.status, c.labels[LABEL.withoutGpu], wantsGpu(c)])).toEqual([
      ['running', why, false],
      ['running', why, false],
    ]);
    // The refused containers are gone: exactly one per replica remains.
    expect(
      fake
        .callsTo('removeContainer')
        .map((c) => c.target)
        .sort(),
    ).toEqual(running.map((c) => c.name).sort());
    expect(notes).toContain(
      `topology ml: service "vision" runs without its GPU (gpu: optional): ${why}; its gpu checks are skipped`,
    );
  });

  it('leaves a start refused for another reason a failure', async () => {
    const clock = new VirtualClock();
    const fake = new FakeEngine({ clock, images: [IMAGE] }).failStart(wantsGpu, {
      error: 'OCI runtime create failed: permission denied',
    });
    const r = await run(suite([gpuTopology('optional')]), { engineFactory: () => fake, clock });
    expect(r.topologies[0]!.failure!.message).toMatch(/did not start: OCI runtime create failed/);
  });
});

describe('gpu: required (the default)', () => {
  it('fails as bad input, naming the service, the node and the missing driver', async () => {
    const { results } = await runGpuless(gpuTopology());
    expect(results.status).toBe('error');
    expect(results.topologies[0]).toMatchObject({
      status: 'error',
      failure: {
        service: 'vision',
        message: `service "vision" reserves a GPU, but node "local" cannot give it a GPU: ${NO_DRIVER}`,
        details: [
          'Install the NVIDIA Container Toolkit on node "local" and restart its engine, or set `gpu: optional` on topology "ml" to run the service without its GPU.',
        ],
      },
    });
  });
});
