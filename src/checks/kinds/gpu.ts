import { execFile } from 'node:child_process';
import type { ContainerState } from '../../engine/engine.js';
import { LABEL } from '../../common/labels.js';
import { excerpt } from '../../model/match.js';
import { acrossReplicas } from '../../live/replicas.js';
import type { Runtime } from '../../live/runtime.js';
import type { Replica } from '../../model/refs.js';
import { defineKind } from '../../live/check.js';
import type { Outcome } from '../../model/check.js';
import { gpuSchema } from './gpu.schema.js';

const QUERY = ['--query-gpu=index,name', '--format=csv,noheader'];

export const NO_GPU = 'no GPU on this runner (nvidia-smi not found)';

interface Gpu {
  index: string;
  name: string;
}

export const gpu = defineKind({
  ...gpuSchema,
  async attempt(c, ctx) {
    const { service, min } = c.gpu;
    if (!service) return onRunner(min, ctx.signal);
    const rt = ctx.runtime!;
    // A replica that cannot count its GPUs is skipped; when none can, so is the check.
    const seen: Outcome[] = [];
    const out = await acrossReplicas(rt.replicas(service), c.any, async (r) => {
      const o = await inContainer(rt, r, min, ctx.signal);
      seen.push(o);
      return o;
    });
    return seen.length > 1 && seen.every((o) => o.status === 'skipped')
      ? { ...seen[0]!, evidence: out.evidence }
      : out;
  },
});

/** The runner's GPUs, by nvidia-smi on its PATH (or $STACKCHECK_NVIDIA_SMI). */
async function onRunner(min: number, signal: AbortSignal): Promise<Outcome> {
  const binary = process.env.STACKCHECK_NVIDIA_SMI || 'nvidia-smi';
  const run = await runProgram(binary, QUERY, signal);
  const evidence = {
    where: 'runner',
    binary,
    exitCode: run.code,
    output: excerpt(run.stdout + run.stderr),
  };
  if (run.code === 'ENOENT') return { status: 'skipped', message: NO_GPU, evidence };
  if (typeof run.code === 'string') {
    return { status: 'error', message: `cannot run ${binary}: ${run.code}`, evidence };
  }
  return verdict(run.code, run.stdout, run.stderr, min, 'on the runner', evidence);
}

/**
 * Runs a program to its end, within the attempt's time limit (`signal`): its exit code, or as
 * a string why it could not run (ENOENT: not found; EACCES: not executable).
 */
function runProgram(file: string, args: string[], signal: AbortSignal) {
  return new Promise<{ code: number | string; stdout: string; stderr: string }>((resolve, reject) =>
    execFile(file, args, { signal, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (signal.aborted) return reject(signal.reason);
      resolve({ code: err ? (err.code ?? `killed by ${err.signal}`) : 0, stdout, stderr });
    }),
  );
}

/** The GPUs a container sees, by nvidia-smi inside it, and the devices it asked the engine for. */
async function inContainer(
  rt: Runtime,
  r: Replica,
  min: number,
  signal: AbortSignal,
): Promise<Outcome> {
  const state = await rt.inspect(r, signal);
  const without = state.labels[LABEL.withoutGpu];
  if (without !== undefined) {
    return {
      status: 'skipped',
      message: `${r.containerName} runs without its GPU (gpu: optional): ${without}`,
      evidence: { where: r.containerName, withoutGpu: without },
    };
  }
  const requests = gpuRequests(state);
  const res = await rt
    .engine(r.node)
    .exec(r.containerId, { cmd: ['nvidia-smi', ...QUERY] }, signal);
  const evidence = {
    where: r.containerName,
    deviceRequests: requests,
    exitCode: res.exitCode,
    output: excerpt(res.stdout + res.stderr),
  };
  if (
    [126, 127].includes(res.exitCode) &&
    /not found|no such file/i.test(res.stdout + res.stderr)
  ) {
    // It started with a GPU request, so the engine has GPUs: the image lacks the tool.
    const message = requests.length
      ? `nvidia-smi not found in ${r.containerName}, which requests GPUs; cannot count them (request the "utility" capability, or add nvidia-smi to the image)`
      : NO_GPU;
    return { status: 'skipped', message, evidence };
  }
  const out = verdict(res.exitCode, res.stdout, res.stderr, min, `in ${r.containerName}`, evidence);
  if (out.status === 'failed' && requests.length === 0) {
    out.message +=
      '; it requests no GPU (compose: `gpus:` or deploy.resources.reservations.devices)';
  }
  return out;
}

/** Counts the GPUs nvidia-smi listed, one CSV line each; "No devices were found" is none. */
function verdict(
  code: number,
  stdout: string,
  stderr: string,
  min: number,
  where: string,
  evidence: Record<string, unknown>,
): Outcome {
  const none = /no devices were found/i.test(stdout + stderr);
  if (code !== 0 && !none) {
    const said = (stderr.trim() || stdout.trim()).split('\n')[0];
    return { status: 'failed', message: `nvidia-smi ${where} exited ${code}: ${said}`, evidence };
  }
  const gpus: Gpu[] = none
    ? []
    : stdout.split('\n').flatMap((line) => (line.trim() ? [parseLine(line)] : []));
  const full = { ...evidence, gpus, count: gpus.length, min };
  const list = gpus.map((g) => `${g.index}: ${g.name}`).join(', ');
  const n = `${gpus.length} GPU${gpus.length === 1 ? '' : 's'} ${where}`;
  if (gpus.length < min) {
    return {
      status: 'failed',
      message: `${n}${list ? ` (${list})` : ''}, expected at least ${min}`,
      evidence: full,
    };
  }
  return { status: 'passed', message: `${n}: ${list}`, evidence: full };
}

function parseLine(line: string): Gpu {
  const comma = line.indexOf(',');
  return comma < 0
    ? { index: '', name: line.trim() }
    : { index: line.slice(0, comma).trim(), name: line.slice(comma + 1).trim() };
}

/** The container's GPU device requests, readable: count -1 is "all". */
function gpuRequests(s: ContainerState) {
  return (s.deviceRequests ?? [])
    .filter((d) => d.capabilities.flat().includes('gpu') || d.driver === 'nvidia')
    .map((d) => ({
      ...(d.driver && { driver: d.driver }),
      count: d.count === -1 ? 'all' : d.count,
      ...(d.deviceIds?.length && { deviceIds: d.deviceIds }),
      capabilities: d.capabilities,
    }));
}
