import { describe, expect, it } from 'vitest';
import { fixture, hints, load, loadText, problems } from './helpers.js';

const env = { HF_TOKEN: 'hf_test' };

describe('profiles (gpu inference stack)', () => {
  it('runs only services without profiles by default, dropping optional dependencies on the rest', () => {
    const p = load(fixture('gpu-inference/compose.yaml'), { env });
    expect(Object.keys(p.services)).toEqual(['webui']);
    expect(p.services.webui!.dependsOn).toEqual({});
    expect(Object.keys(p.volumes)).toEqual(['hf-cache', 'ollama']);
  });

  it('enables a service when one of its profiles is active, and keeps dependencies on it', () => {
    const p = load(fixture('gpu-inference/compose.yaml'), { env, profiles: ['gpu'] });
    expect(Object.keys(p.services)).toEqual(['vllm', 'webui']);
    expect(p.services.webui!.dependsOn).toEqual({
      vllm: {
        condition: 'service_healthy',
        required: false,
        pos: { file: 'gpu-inference/compose.yaml', line: 66, column: 7 },
      },
    });
    const vllm = p.services.vllm!;
    expect(vllm.command).toEqual([
      '--model',
      'mistralai/Mistral-7B-Instruct-v0.3',
      '--max-model-len',
      '8192',
    ]);
    expect(vllm.environment).toEqual({
      HUGGING_FACE_HUB_TOKEN: 'hf_test',
      MODEL: 'mistralai/Mistral-7B-Instruct-v0.3',
    });
    expect(vllm.shmSizeBytes).toBe(16 * 1024 ** 3);
    expect(vllm.ulimits).toEqual([
      { name: 'memlock', soft: -1, hard: -1 },
      { name: 'stack', soft: 67108864, hard: 67108864 },
    ]);
    expect(vllm.healthcheck).toMatchObject({
      test: ['CMD-SHELL', 'curl -fsS http://localhost:8000/health || exit 1'],
      startPeriodMs: 300_000,
      startIntervalMs: 5000,
    });
    expect(vllm.resources).toEqual({
      limits: { memoryBytes: 32 * 1024 ** 3 },
      reservations: { devices: [{ driver: 'nvidia', count: -1, capabilities: ['gpu'] }] },
    });
  });

  it('reads device ids, capabilities and options of a pinned GPU request', () => {
    const p = load(fixture('gpu-inference/compose.yaml'), { env, profiles: ['gpu-pinned'] });
    expect(p.services['vllm-pinned']!.resources.reservations.devices).toEqual([
      {
        driver: 'nvidia',
        deviceIds: ['0', '3'],
        capabilities: ['gpu', 'compute', 'utility'],
        options: { virtualization: 'false' },
      },
    ]);
  });

  it('enables everything with "*"', () => {
    const p = load(fixture('gpu-inference/compose.yaml'), { env, profiles: ['*'] });
    expect(Object.keys(p.services)).toEqual(['vllm', 'vllm-pinned', 'ollama', 'webui']);
  });

  it('reports a required variable even in services that their profile leaves out, as compose does', () => {
    // The value comes through a YAML merge key, so the nearest position is the service that merges it.
    expect(problems(() => load(fixture('gpu-inference/compose.yaml')))).toEqual([
      'gpu-inference/compose.yaml:20:5 services.vllm.environment.HUGGING_FACE_HUB_TOKEN: set HF_TOKEN to a Hugging Face token',
      'gpu-inference/compose.yaml:40:5 services.vllm-pinned.environment.HUGGING_FACE_HUB_TOKEN: set HF_TOKEN to a Hugging Face token',
    ]);
  });
});

describe('profiles and dependencies', () => {
  const text = `services:
  app:
    image: app
    depends_on:
      debugger:
        condition: service_started
      metrics:
        required: false
  debugger:
    image: dlv
    profiles: [debug, dev]
  metrics:
    image: prom
    profiles: [observability]
`;

  it('errors when a required dependency is only enabled by a profile, naming the profiles', () => {
    expect(problems(() => loadText(text))).toEqual([
      'compose.yaml:5:7 service "app" depends on "debugger", which is only enabled by profile debug or dev',
    ]);
    expect(hints(() => loadText(text))).toEqual([
      'Enable it with one of its profiles (debug, dev), or mark the dependency required: false.',
    ]);
  });

  it('keeps the dependency once the profile is active', () => {
    const p = loadText(text, { profiles: ['dev'] });
    expect(Object.keys(p.services)).toEqual(['app', 'debugger']);
    expect(Object.keys(p.services.app!.dependsOn)).toEqual(['debugger']);
  });

  it('enables the voting app seed job only with its profile', () => {
    expect(Object.keys(load(fixture('voting-app/compose.yaml')).services)).toEqual([
      'vote',
      'result',
      'worker',
      'redis',
      'db',
    ]);
    const withSeed = load(fixture('voting-app/compose.yaml'), { profiles: ['seed'] });
    expect(withSeed.services.seed).toMatchObject({ profiles: ['seed'], restart: { policy: 'no' } });
    expect(withSeed.services.seed!.dependsOn.vote!.condition).toBe('service_healthy');
  });
});

describe('network_mode: service:NAME', () => {
  const text = `services:
  app:
    image: app
    network_mode: service:vpn
  vpn:
    image: wireguard
    profiles: [vpn]
`;

  it('joins an active service, and needs no default network for it', () => {
    const p = loadText(text, { profiles: ['vpn'] });
    expect(p.services.app!.networkMode).toBe('service:vpn');
    expect(Object.keys(p.networks)).toEqual(['default']);
    expect(
      loadText(
        text
          .replace('    profiles: [vpn]\n', '')
          .replace(
            '  vpn:\n    image: wireguard\n',
            '  vpn:\n    image: wireguard\n    network_mode: host\n',
          ),
      ).networks,
    ).toEqual({});
  });

  it('reports a service that is missing or disabled', () => {
    expect(problems(() => loadText(text))).toEqual([
      'compose.yaml:4:19 service "app" joins the network of "vpn", which is only enabled by profile vpn',
    ]);
    expect(
      problems(() => loadText(text.replace('service:vpn', 'service:vpm'), { profiles: ['vpn'] })),
    ).toEqual(['compose.yaml:4:19 service "app" joins the network of "vpm", which is not defined']);
    expect(
      hints(() => loadText(text.replace('service:vpn', 'service:vpm'), { profiles: ['vpn'] })),
    ).toEqual(['Did you mean "vpn"?']);
  });
});
