import { describe, expect, it } from 'vitest';
import { hints, load, loadText, problems, source } from './helpers.js';

const MiB = 1024 ** 2;

describe('service-level resource keys', () => {
  it('reads the string forms and folds the keys into resources', () => {
    const p = loadText(`services:
  a:
    image: x
    mem_limit: "1g"
    memswap_limit: "-1"
    mem_reservation: 268435456
    cpus: "1.5"
    cpuset: "0,2"
    pids_limit: -1
    mem_swappiness: "0"
    oom_kill_disable: "false"
    oom_score_adj: "1000"
  b: { image: x, cpu_period: "100000", cpu_quota: 50000, cpus: 0 }
`);
    expect(p.services.a!.resources).toEqual({
      limits: { memoryBytes: 1024 * MiB, memorySwapBytes: -1, cpus: 1.5, pids: -1 },
      reservations: { memoryBytes: 256 * MiB, devices: [] },
      cpuset: '0,2',
      memorySwappiness: 0,
      oomKillDisable: false,
      oomScoreAdj: 1000,
    });
    expect(p.services.b!.resources).toEqual({
      limits: { cpus: 0 },
      reservations: { devices: [] },
      cpuPeriodUs: 100_000,
      cpuQuotaUs: 50_000,
    });
  });

  it('accepts a key that deploy.resources also sets to the same value', () => {
    const p = loadText(`services:
  a:
    image: x
    mem_limit: 512m
    cpus: 0.5
    deploy: { resources: { limits: { memory: 512M, cpus: "0.50", pids: 10 } } }
`);
    expect(p.services.a!.resources.limits).toEqual({ memoryBytes: 512 * MiB, cpus: 0.5, pids: 10 });
  });

  it('rejects one that disagrees, at the service key, also when the two come from different files', () => {
    const run = () =>
      load([
        source(
          `services:
  a:
    image: x
    deploy:
      resources:
        limits: { memory: 512M, pids: 10 }
        reservations: { memory: 64M }
`,
          'a.yaml',
        ),
        source(
          'services:\n  a:\n    mem_limit: 256m\n    pids_limit: 10\n    mem_reservation: 32m\n',
          'b.yaml',
        ),
      ]);
    expect(problems(run)).toEqual([
      'b.yaml:3:16 service "a": mem_limit is 268435456 but deploy.resources.limits.memory is 536870912',
      'b.yaml:5:22 service "a": mem_reservation is 33554432 but deploy.resources.reservations.memory is 67108864',
    ]);
    expect(hints(run)[0]).toBe(
      'Keep one of mem_limit and deploy.resources.limits.memory (at a.yaml:6:27), or make them equal.',
    );
  });

  it('lets a later file replace an earlier value, key by key', () => {
    const p = load([
      source('services:\n  a: { image: x, cpus: 2, cpu_shares: 512, cpuset: "0-3" }\n', 'a.yaml'),
      source('services:\n  a: { cpus: 1, cpu_shares: 1024 }\n', 'b.yaml'),
    ]);
    expect(p.services.a!.resources).toMatchObject({
      limits: { cpus: 1 },
      cpuShares: 1024,
      cpuset: '0-3',
    });
  });

  it('reports wrong values at the value', () => {
    expect(
      problems(() =>
        loadText(`services:
  a:
    image: x
    mem_limit: lots
    cpus: -1
    mem_swappiness: 150
    oom_score_adj: 5000
    cpuset: "a-b"
    oom_kill_disable: maybe
    cpu_shares: 1.5
    pids_limit: [10]
`),
      ),
    ).toEqual([
      'compose.yaml:4:16 services.a.mem_limit must be a size, got string "lots"',
      'compose.yaml:5:11 services.a.cpus must be a number of at least 0, got number -1',
      'compose.yaml:6:21 services.a.mem_swappiness must be a whole number from 0 to 100, got number 150',
      'compose.yaml:7:20 services.a.oom_score_adj must be a whole number from -1000 to 1000, got number 5000',
      'compose.yaml:8:13 services.a.cpuset: "a-b" is not a list of CPUs',
      'compose.yaml:9:23 services.a.oom_kill_disable must be true or false, got string "maybe"',
      'compose.yaml:10:17 services.a.cpu_shares must be a whole number of at least 0, got number 1.5',
      'compose.yaml:11:17 services.a.pids_limit must be a whole number of at least -1, got a list',
    ]);
  });

  it('rejects combinations the engine would refuse', () => {
    expect(
      problems(() =>
        loadText(`services:
  a: { image: x, memswap_limit: 1g }
  b: { image: x, mem_limit: 1g, memswap_limit: 512m }
  c: { image: x, cpus: 1, cpu_quota: 50000 }
  d: { image: x, mem_limit: 1g, memswap_limit: 1g, cpu_period: 100000, cpu_quota: 50000 }
`),
      ),
    ).toEqual([
      'compose.yaml:2:33 service "a": memswap_limit needs a memory limit',
      'compose.yaml:3:48 service "b": memswap_limit (536870912) is below the memory limit (1073741824)',
      'compose.yaml:4:38 service "c": cpu_period and cpu_quota cannot be combined with a cpus limit',
    ]);
  });
});

describe('gpus', () => {
  it('reads "all" and a list whose entries imply the gpu capability', () => {
    const p = loadText(`services:
  all: { image: x, gpus: all }
  some:
    image: x
    gpus:
      - driver: nvidia
        count: 2
      - device_ids: ["GPU-1"]
        capabilities: [utility, gpu]
        options: { mig: "1g.10gb" }
`);
    expect(p.services.all!.resources.reservations.devices).toEqual([
      { count: -1, capabilities: ['gpu'] },
    ]);
    expect(p.services.some!.resources.reservations.devices).toEqual([
      { driver: 'nvidia', count: 2, capabilities: ['gpu'] },
      { deviceIds: ['GPU-1'], capabilities: ['gpu', 'utility'], options: { mig: '1g.10gb' } },
    ]);
  });

  it('adds them after deploy device requests, and appends them across files', () => {
    const p = load([
      source(
        `services:
  a:
    image: x
    gpus: [{ count: 1 }]
    deploy: { resources: { reservations: { devices: [{ capabilities: [tpu] }] } } }
`,
        'a.yaml',
      ),
      source('services:\n  a: { gpus: all }\n', 'b.yaml'),
    ]);
    expect(p.services.a!.resources.reservations.devices).toEqual([
      { capabilities: ['tpu'] },
      { count: 1, capabilities: ['gpu'] },
      { count: -1, capabilities: ['gpu'] },
    ]);
  });

  it('reports wrong shapes at their place', () => {
    expect(
      problems(() =>
        loadText(`services:
  a: { image: x, gpus: some }
  b: { image: x, gpus: [{ count: two, device_ids: ["0"] }] }
  c: { image: x, gpus: [{ cout: 1 }] }
`),
      ),
    ).toEqual([
      'compose.yaml:2:24 services.a.gpus must be "all" or a list, got string "some"',
      'compose.yaml:3:34 services.b.gpus[0].count must be a whole number of at least 0, got string "two"',
      'compose.yaml:4:27 unknown device request key "cout" (in services.c.gpus[0]): stackcheck does not support it',
    ]);
  });
});
