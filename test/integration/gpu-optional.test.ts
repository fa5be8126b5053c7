/**
 * GPU reservations on this engine, which has no NVIDIA device driver (it refuses them with
 * "could not select device driver"): `gpu: optional` brings the service up without its GPU,
 * the results say so, and its gpu check is skipped with that reason even though the fake
 * nvidia-smi inside would count one; `gpu: required` (the default) fails naming the service
 * and the driver. Where the engine can give GPUs, there is nothing to degrade: skipped.
 */
import { chmodSync, copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LABEL } from '../../src/common/labels.js';
import { leftovers, NOTHING, uniqueSuite } from '../support/engine.js';
import { checksByName, runFiles } from '../support/run.js';

const BUSYBOX = 'stackcheck-fixture/busybox:1';
const NO_DRIVER = /could not select device driver/;

/** Whether this engine refuses a GPU request at start, as an engine without the toolkit does. */
async function refusesGpus(): Promise<boolean> {
  const docker = new Docker();
  const c = await docker.createContainer({
    Image: BUSYBOX,
    Cmd: ['true'],
    Labels: { [LABEL.suite]: uniqueSuite('gpu-probe') },
    HostConfig: { DeviceRequests: [{ Count: -1, Capabilities: [['gpu']] }] },
  });
  try {
    await c.start();
    return false;
  } catch (e) {
    return NO_DRIVER.test(String(e));
  } finally {
    await c.remove({ force: true });
  }
}

const gpuless = await refusesGpus();

let bin: string;
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'stackcheck-nvidia-smi-'));
  bin = join(dir, 'nvidia-smi');
  copyFileSync(resolve('test/fixtures/nvidia-smi/nvidia-smi'), bin);
  chmodSync(bin, 0o755);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function files(gpu: string) {
  return {
    'stackcheck.yml': `version: 1
name: {{SUITE}}
topologies:
  ml:
    compose: compose.yml
    ${gpu}
    wait: { timeout: 30s, stable: 300ms }
  web:
    services:
      app:
        image: ${BUSYBOX}
        init: true
        command: [sleep, "3600"]
    wait: { timeout: 30s, stable: 300ms }
checks:
  - name: vision sees its GPU
    gpu: { service: ml/vision }
  - name: the web app answers
    exec: { service: web/app, command: "echo ok" }
scenarios:
  - name: vision redeployed
    steps:
      - recreate: { service: ml/vision }
      - check: { gpu: { service: ml/vision } }
`,
    'compose.yml': `services:
  vision:
    image: ${BUSYBOX}
    init: true
    command: [sleep, "3600"]
    environment: { FAKE_GPUS: "1" }
    volumes: ["${bin}:/usr/local/bin/nvidia-smi:ro"]
    deploy:
      resources:
        reservations:
          devices: [{ capabilities: [gpu], count: all }]
  cpu:
    image: ${BUSYBOX}
    init: true
    command: [sleep, "3600"]
`,
  };
}

describe.skipIf(!gpuless)('GPU reservations on an engine without GPUs', () => {
  it('gpu: optional — up without the GPU, noted in the results, its gpu check skipped with why', async () => {
    const { results, suite } = await runFiles(files('gpu: optional'));
    expect(results.topologies.map((t) => [t.name, t.status])).toEqual([
      ['ml', 'passed'],
      ['web', 'passed'],
    ]);
    const [vision, cpu] = results.topologies[0]!.services;
    expect(vision!.withoutGpu).toMatch(
      /^node "local" cannot give it a GPU: could not select device driver "" with capabilities: \[\[gpu\]\]/,
    );
    expect(cpu!.withoutGpu).toBeUndefined();
    const c = checksByName(results);
    // The fake nvidia-smi inside would count one GPU: skipped, never passed.
    expect(c['vision sees its GPU']).toMatchObject({ status: 'skipped' });
    expect(c['vision sees its GPU']!.message).toBe(
      `sc-${results.runId}-ml-vision-1 runs without its GPU (gpu: optional): ${vision!.withoutGpu}`,
    );
    expect(c['the web app answers']!.status).toBe('passed');
    // Made again without its GPU: the engine would refuse it with one.
    const [recreated, check] = results.scenarios[0]!.steps;
    expect(recreated!.status, recreated!.message).toBe('passed');
    expect(check).toMatchObject({ status: 'skipped', message: c['vision sees its GPU']!.message });
    expect(results.status).toBe('passed');
    expect(await leftovers({ suite })).toEqual(NOTHING);
  });

  it('gpu: required (the default) — fails naming the service, the node and the missing driver', async () => {
    const { results, suite } = await runFiles(files(''));
    expect(results.status).toBe('error');
    const ml = results.topologies[0]!;
    expect(ml.status).toBe('error');
    expect(ml.failure).toMatchObject({
      service: 'vision',
      details: [
        'Install the NVIDIA Container Toolkit on node "local" and restart its engine, or set `gpu: optional` on topology "ml" to run the service without its GPU.',
      ],
    });
    expect(ml.failure!.message).toMatch(
      /^service "vision" reserves a GPU, but node "local" cannot give it a GPU: could not select device driver/,
    );
    expect(checksByName(results)['vision sees its GPU']!.status).toBe('skipped');
    expect(await leftovers({ suite })).toEqual(NOTHING);
  });
});
