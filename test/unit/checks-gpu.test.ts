import { describe, expect, it } from 'vitest';
import { dur } from '../support/specs.js';
import { gpu, NO_GPU } from '../../src/checks/kinds/gpu.js';
import type { Runtime } from '../../src/live/runtime.js';
import type { Replica } from '../../src/model/refs.js';
import type { CheckContext } from '../../src/live/check.js';
import { realClock } from '../../src/common/clock.js';
import type { ContainerState, ExecResult } from '../../src/engine/engine.js';
import type { Suite } from '../../src/model/suite.js';
import { LABEL } from '../../src/common/labels.js';

// The container side of the gpu kind against a stand-in runtime: what it makes of device
// requests and of nvidia-smi's answers, which an engine without GPUs cannot produce.

const replica = (index: number): Replica => ({
  topology: 'pc2',
  service: 'vision',
  node: 'local',
  containerId: `id${index}`,
  containerName: `sc-r-pc2-vision-${index}`,
  index,
});

function attempt(
  requests: ContainerState['deviceRequests'],
  answer: (r: string) => ExecResult,
  opts: { min?: number; replicas?: number; any?: boolean; labels?: Record<string, string> } = {},
) {
  const replicas = Array.from({ length: opts.replicas ?? 1 }, (_, i) => replica(i + 1));
  const runtime = {
    replicas: () => replicas,
    inspect: async () =>
      ({ deviceRequests: requests, labels: opts.labels ?? {} }) as ContainerState,
    engine: () => ({ exec: async (id: string) => answer(id) }),
  } as unknown as Runtime;
  const ctx: CheckContext = {
    suite: {} as Suite,
    signal: new AbortController().signal,
    clock: realClock,
    runtime,
  };
  return gpu.attempt(
    {
      name: 'g',
      timeout: dur('10s'),
      serial: false,
      any: opts.any ?? false,
      gpu: { service: 'pc2/vision', min: opts.min ?? 1 },
    },
    ctx,
  );
}

const ALL_GPUS = [{ driver: 'nvidia', count: -1, capabilities: [['gpu']] }];
const twoGpus = (): ExecResult => ({
  exitCode: 0,
  stdout: '0, NVIDIA A100\n1, NVIDIA A100\n',
  stderr: '',
});
const notFound = (): ExecResult => ({
  exitCode: 127,
  stdout:
    'OCI runtime exec failed: exec failed: unable to start container process: exec: "nvidia-smi": executable file not found in $PATH: unknown\r\n',
  stderr: '',
});

describe('gpu inside a service', () => {
  it('is skipped with the reason on a container started without its GPU (gpu: optional), whatever nvidia-smi says', async () => {
    const why =
      'node "local" cannot give it a GPU: could not select device driver "" with capabilities: [[gpu]]';
    const o = await attempt([], twoGpus, { replicas: 2, labels: { [LABEL.withoutGpu]: why } });
    expect(o).toMatchObject({
      status: 'skipped',
      message: `sc-r-pc2-vision-1 runs without its GPU (gpu: optional): ${why}`,
    });
  });

  it('passes with enough GPUs, and shows the device requests readably', async () => {
    const o = await attempt(ALL_GPUS, twoGpus, { min: 2 });
    expect(o).toMatchObject({
      status: 'passed',
      message: '2 GPUs in sc-r-pc2-vision-1: 0: NVIDIA A100, 1: NVIDIA A100',
      evidence: {
        deviceRequests: [{ driver: 'nvidia', count: 'all', capabilities: [['gpu']] }],
        count: 2,
        min: 2,
      },
    });
  });

  it('leaves out device requests that are not for GPUs', async () => {
    const o = await attempt(
      [
        { count: 1, capabilities: [['tpu']] },
        { count: 1, deviceIds: ['GPU-1'], capabilities: [['gpu']] },
      ],
      twoGpus,
    );
    expect(o.evidence.deviceRequests).toEqual([
      { count: 1, deviceIds: ['GPU-1'], capabilities: [['gpu']] },
    ]);
  });

  it('says when a container that requests GPUs lacks nvidia-smi, instead of blaming the runner', async () => {
    const o = await attempt(ALL_GPUS, notFound);
    expect(o.status).toBe('skipped');
    expect(o.message).toBe(
      'nvidia-smi not found in sc-r-pc2-vision-1, which requests GPUs; cannot count them (request the "utility" capability, or add nvidia-smi to the image)',
    );
  });

  it('is skipped with the reason when no replica has nvidia-smi, never passed', async () => {
    const o = await attempt([], notFound, { replicas: 2 });
    expect(o.status).toBe('skipped');
    expect(o.message).toBe(NO_GPU);
    expect((o.evidence.replicas as { status: string }[]).map((r) => r.status)).toEqual([
      'skipped',
      'skipped',
    ]);
  });

  it('fails a scaled service where one replica sees too few GPUs; `any` needs one', async () => {
    const uneven = (id: string): ExecResult =>
      id === 'id1' ? twoGpus() : { exitCode: 0, stdout: '0, NVIDIA A100\n', stderr: '' };
    const all = await attempt(ALL_GPUS, uneven, { min: 2, replicas: 2 });
    expect(all.status).toBe('failed');
    expect(all.message).toBe(
      '1/2 replicas passed; sc-r-pc2-vision-2: 1 GPU in sc-r-pc2-vision-2 (0: NVIDIA A100), expected at least 2',
    );
    expect((await attempt(ALL_GPUS, uneven, { min: 2, replicas: 2, any: true })).status).toBe(
      'passed',
    );
  });

  it('fails when nvidia-smi inside cannot reach the driver', async () => {
    const o = await attempt(ALL_GPUS, () => ({
      exitCode: 9,
      stdout: "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.\n",
      stderr: '',
    }));
    expect(o).toMatchObject({
      status: 'failed',
      message:
        "nvidia-smi in sc-r-pc2-vision-1 exited 9: NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.",
    });
  });
});
