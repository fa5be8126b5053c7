import { chmodSync, copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Docker from 'dockerode';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { dur } from '../support/specs.js';
import { gpu, NO_GPU } from '../../src/checks/kinds/gpu.js';
import type { CheckContext } from '../../src/live/check.js';
import { realClock } from '../../src/common/clock.js';
import type { Suite } from '../../src/model/suite.js';
import { LABEL } from '../../src/common/labels.js';
import { engine, leftovers, NOTHING, uniqueSuite } from '../support/engine.js';
import { checksByName, runFiles } from '../support/run.js';

const BUSYBOX = 'stackcheck-fixture/busybox:1';

// The fake nvidia-smi, copied executable whatever mode the checkout gave it.
let bin: string;
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'stackcheck-nvidia-smi-'));
  bin = join(dir, 'nvidia-smi');
  copyFileSync(resolve('test/fixtures/nvidia-smi/nvidia-smi'), bin);
  chmodSync(bin, 0o755);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => vi.unstubAllEnvs());

/** One attempt of a runner-side gpu check: it needs no engine. */
function onRunner(min: number) {
  const ctx: CheckContext = {
    suite: {} as Suite,
    signal: AbortSignal.timeout(10_000),
    clock: realClock,
  };
  return gpu.attempt(
    { name: 'gpus', timeout: dur('10s'), serial: false, any: false, gpu: { runner: true, min } },
    ctx,
  );
}

describe('gpu: the runner', () => {
  it('counts the GPUs nvidia-smi lists, from STACKCHECK_NVIDIA_SMI', async () => {
    vi.stubEnv('STACKCHECK_NVIDIA_SMI', bin);
    vi.stubEnv('FAKE_GPUS', '2');
    const o = await onRunner(2);
    expect(o).toEqual({
      status: 'passed',
      message: '2 GPUs on the runner: 0: NVIDIA Fake GPU 0, 1: NVIDIA Fake GPU 1',
      evidence: {
        where: 'runner',
        binary: bin,
        exitCode: 0,
        output: '0, NVIDIA Fake GPU 0\n1, NVIDIA Fake GPU 1\n',
        gpus: [
          { index: '0', name: 'NVIDIA Fake GPU 0' },
          { index: '1', name: 'NVIDIA Fake GPU 1' },
        ],
        count: 2,
        min: 2,
      },
    });
  });

  it('fails with fewer GPUs than `min`, and with none', async () => {
    vi.stubEnv('STACKCHECK_NVIDIA_SMI', bin);
    vi.stubEnv('FAKE_GPUS', '1');
    expect(await onRunner(2)).toMatchObject({
      status: 'failed',
      message: '1 GPU on the runner (0: NVIDIA Fake GPU 0), expected at least 2',
      evidence: { count: 1, min: 2 },
    });
    vi.stubEnv('FAKE_GPUS', '0');
    expect(await onRunner(1)).toMatchObject({
      status: 'failed',
      message: '0 GPUs on the runner, expected at least 1',
      evidence: { exitCode: 6, gpus: [], count: 0 },
    });
  });

  it('fails when nvidia-smi is there but the driver is not', async () => {
    vi.stubEnv('STACKCHECK_NVIDIA_SMI', bin);
    vi.stubEnv('FAKE_NVIDIA_SMI_FAIL', '1');
    const o = await onRunner(1);
    expect(o.status).toBe('failed');
    expect(o.message).toBe(
      "nvidia-smi on the runner exited 9: NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. Make sure that the latest NVIDIA driver is installed and running.",
    );
  });

  it('finds nvidia-smi on PATH, and is skipped, never passed, where there is none', async () => {
    vi.stubEnv('STACKCHECK_NVIDIA_SMI', '');
    vi.stubEnv('PATH', dir);
    expect((await onRunner(1)).status).toBe('passed');
    vi.stubEnv('PATH', join(dir, 'empty'));
    expect(await onRunner(1)).toEqual({
      status: 'skipped',
      message: NO_GPU,
      evidence: { where: 'runner', binary: 'nvidia-smi', exitCode: 'ENOENT', output: '' },
    });
    expect(NO_GPU).toBe('no GPU on this runner (nvidia-smi not found)');
  });

  it('is an error when the binary cannot be run', async () => {
    const notExecutable = join(dir, 'not-executable');
    writeFileSync(notExecutable, '#!/bin/sh\n', { mode: 0o644 });
    vi.stubEnv('STACKCHECK_NVIDIA_SMI', notExecutable);
    expect(await onRunner(1)).toMatchObject({
      status: 'error',
      message: `cannot run ${notExecutable}: EACCES`,
    });
  });
});

describe('gpu: inside a service', () => {
  it('counts GPUs in the container, skips where it has no nvidia-smi, and leaves nothing', async () => {
    vi.stubEnv('STACKCHECK_NVIDIA_SMI', join(dir, 'missing'));
    const { results, suite } = await runFiles({
      'stackcheck.yml': `version: 1
name: {{SUITE}}
topologies:
  main:
    compose: compose.yml
    wait: { timeout: 30s }
checks:
  - name: two GPUs visible
    gpu: { service: vision, min: 2 }
  - name: three GPUs visible
    gpu: { service: vision, min: 3 }
  - name: a service without nvidia-smi
    gpu: { service: cpu }
  - name: the runner
    gpu: { runner: true }
`,
      'compose.yml': `services:
  vision:
    image: ${BUSYBOX}
    command: [sleep, "3600"]
    init: true
    environment: { FAKE_GPUS: "2" }
    volumes: ["${bin}:/usr/local/bin/nvidia-smi:ro"]
  cpu:
    image: ${BUSYBOX}
    command: [sleep, "3600"]
    init: true
    deploy: { replicas: 2 }
`,
    });
    const c = checksByName(results);
    expect(results.topologies[0]!.failure).toBeUndefined();

    expect(c['two GPUs visible']).toMatchObject({
      status: 'passed',
      targets: ['main/vision'],
      evidence: {
        deviceRequests: [],
        exitCode: 0,
        gpus: [
          { index: '0', name: 'NVIDIA Fake GPU 0' },
          { index: '1', name: 'NVIDIA Fake GPU 1' },
        ],
        count: 2,
      },
    });
    expect(c['two GPUs visible']!.message).toMatch(
      /^2 GPUs in sc-\w+-main-vision-1: 0: NVIDIA Fake GPU 0, 1: NVIDIA Fake GPU 1$/,
    );

    expect(c['three GPUs visible']!.status).toBe('failed');
    expect(c['three GPUs visible']!.message).toMatch(
      /^2 GPUs in sc-\w+-main-vision-1 \(0: NVIDIA Fake GPU 0, 1: NVIDIA Fake GPU 1\), expected at least 3; it requests no GPU/,
    );

    // Both replicas lack nvidia-smi: the check is skipped with the reason, not failed.
    const cpu = c['a service without nvidia-smi']!;
    expect(cpu).toMatchObject({ status: 'skipped', message: NO_GPU });
    const replicas = cpu.evidence.replicas as Record<string, unknown>[];
    expect(replicas.map((r) => r.status)).toEqual(['skipped', 'skipped']);
    expect(replicas[0]!.output).toMatch(/not found/);

    expect(c['the runner']).toMatchObject({ status: 'skipped', message: NO_GPU });
    expect(await leftovers({ suite })).toEqual(NOTHING);
  });

  it("reads a container's device requests from the engine", async () => {
    const suite = uniqueSuite('gpu-requests');
    const docker = new Docker();
    // Created, never started: an engine without the NVIDIA runtime refuses to start it.
    const c = await docker.createContainer({
      Image: BUSYBOX,
      Labels: { [LABEL.suite]: suite },
      HostConfig: {
        DeviceRequests: [
          { Driver: 'nvidia', Count: -1, Capabilities: [['gpu']] },
          { DeviceIDs: ['0', '1'], Capabilities: [['gpu', 'utility']] },
        ],
      },
    });
    try {
      const state = await engine.inspectContainer(c.id);
      expect(state.deviceRequests).toEqual([
        { driver: 'nvidia', count: -1, deviceIds: undefined, capabilities: [['gpu']] },
        { driver: undefined, count: 0, deviceIds: ['0', '1'], capabilities: [['gpu', 'utility']] },
      ]);
    } finally {
      await c.remove({ force: true });
    }
    expect(await leftovers({ suite })).toEqual(NOTHING);
  });
});
