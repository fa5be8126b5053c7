import { describe, expect, it } from 'vitest';
import { containerCreateBody } from '../../src/engine/container-spec.js';
import { service } from '../support/specs.js';

const pos = { file: 'c.yml', line: 1, column: 1 };

describe('container create body', () => {
  const spec = service('vision', {
    command: ['node', 'server.js'],
    environment: { MODE: 'gpu' },
    labels: { team: 'ml' },
    ports: [
      { target: 8080, published: 50600, protocol: 'tcp', pos },
      { target: 9000, protocol: 'udp', hostIp: '127.0.0.1', pos },
    ],
    expose: [{ port: 7000, protocol: 'tcp' }],
    healthcheck: { disable: false, test: ['CMD', 'true'], intervalMs: 1000, retries: 3, pos },
    stopSignal: 'SIGINT',
    stopGracePeriodMs: 600_000,
    restart: { policy: 'on-failure', maxRetries: 2 },
    mounts: [
      { type: 'volume', source: 'data', target: '/data', readOnly: false, noCopy: false, pos },
      {
        type: 'bind',
        source: '/srv/cfg',
        target: '/cfg',
        readOnly: true,
        createHostPath: true,
        pos,
      },
      { type: 'tmpfs', target: '/scratch', sizeBytes: 1024, pos },
    ],
    resources: {
      limits: { cpus: 1.5, memoryBytes: 2 ** 30 },
      reservations: { devices: [{ capabilities: ['gpu'], count: -1 }] },
    },
  });
  const body = containerCreateBody({
    name: 'sc-r-t-vision-1',
    image: 'img',
    service: spec,
    labels: { 'io.stackcheck.run': 'r' },
    networks: [
      { name: 'net-a', aliases: ['vision'] },
      { name: 'net-b', aliases: ['vision', 'v'] },
    ],
    volumeNames: { data: 'sc-r-t_data' },
    ephemeralPorts: false,
  });

  it('maps ports, exposure and the first network', () => {
    expect(body.ExposedPorts).toEqual({ '8080/tcp': {}, '9000/udp': {}, '7000/tcp': {} });
    expect(body.HostConfig!.PortBindings).toEqual({
      '8080/tcp': [{ HostIp: '', HostPort: '50600' }],
      '9000/udp': [{ HostIp: '127.0.0.1', HostPort: '' }],
    });
    expect(body.HostConfig!.NetworkMode).toBe('net-a');
    expect(body.NetworkingConfig).toEqual({
      EndpointsConfig: { 'net-a': { Aliases: ['vision'] } },
    });
  });

  it('carries stop signal, grace period, healthcheck (in ns) and restart policy', () => {
    expect(body.StopSignal).toBe('SIGINT');
    expect(body.StopTimeout).toBe(600);
    expect(body.Healthcheck).toEqual({
      Test: ['CMD', 'true'],
      Interval: 1e9,
      Timeout: undefined,
      Retries: 3,
      StartPeriod: undefined,
    });
    expect(body.HostConfig!.RestartPolicy).toEqual({ Name: 'on-failure', MaximumRetryCount: 2 });
  });

  it('maps mounts to the project-scoped volume names and keeps bind auto-creation', () => {
    expect(body.HostConfig!.Binds).toEqual(['/srv/cfg:/cfg:ro']);
    expect(body.HostConfig!.Mounts).toEqual([
      {
        Type: 'volume',
        Source: 'sc-r-t_data',
        Target: '/data',
        ReadOnly: false,
        VolumeOptions: { NoCopy: false },
      },
      {
        Type: 'tmpfs',
        Source: '',
        Target: '/scratch',
        TmpfsOptions: { SizeBytes: 1024, Mode: undefined },
      },
    ]);
  });

  it('maps limits and GPU reservations to NanoCpus, Memory and DeviceRequests', () => {
    expect(body.HostConfig!.NanoCpus).toBe(1.5e9);
    expect(body.HostConfig!.Memory).toBe(2 ** 30);
    expect(body.HostConfig!.DeviceRequests).toEqual([
      { Driver: '', Count: -1, DeviceIDs: undefined, Capabilities: [['gpu']], Options: {} },
    ]);
  });

  it('merges service labels under the run labels and publishes on free ports when ephemeral', () => {
    expect(body.Labels).toEqual({ team: 'ml', 'io.stackcheck.run': 'r' });
    const eph = containerCreateBody({
      name: 'n',
      image: 'i',
      service: spec,
      labels: {},
      networks: [],
      volumeNames: {},
      ephemeralPorts: true,
    });
    expect(eph.HostConfig!.PortBindings!['8080/tcp']).toEqual([{ HostIp: '', HostPort: '' }]);
  });

  it('disables an image healthcheck when compose says disable', () => {
    const b = containerCreateBody({
      name: 'n',
      image: 'i',
      service: service('x', { healthcheck: { disable: true, pos } }),
      labels: {},
      networks: [],
      volumeNames: {},
      ephemeralPorts: false,
    });
    expect(b.Healthcheck).toEqual({ Test: ['NONE'] });
  });

  describe('resource keys, devices, logging and host options', () => {
    const full = containerCreateBody({
      name: 'n',
      image: 'i',
      service: service('x', {
        resources: {
          limits: { cpus: 0.25, memoryBytes: 64 * 2 ** 20, pids: 100, memorySwapBytes: -1 },
          reservations: {
            memoryBytes: 32 * 2 ** 20,
            devices: [{ driver: 'nvidia', deviceIds: ['0'], capabilities: ['gpu'] }],
          },
          cpuShares: 512,
          cpuPeriodUs: 100_000,
          cpuQuotaUs: 50_000,
          cpuset: '0-1',
          memorySwappiness: 0,
          oomKillDisable: true,
          oomScoreAdj: -200,
        },
        devices: [{ source: '/dev/fuse', target: '/dev/fuse', permissions: 'rwm' }],
        runtime: 'nvidia',
        logging: { driver: 'json-file', options: { 'max-size': '1m' } },
        dnsSearch: ['corp.example'],
        dnsOpt: ['ndots:2'],
        groupAdd: ['1234'],
        pid: 'host',
        ipc: 'shareable',
        uts: 'host',
        usernsMode: 'host',
        cgroupParent: 'ci.slice',
        storageOpt: { size: '1G' },
        annotations: { 'com.example.a': 'b' },
        macAddress: '02:42:ac:11:00:02',
      }),
      labels: {},
      networks: [],
      volumeNames: {},
      ephemeralPorts: false,
    });
    const hc = full.HostConfig as Record<string, unknown>;

    it('maps every resource key to its HostConfig field', () => {
      expect(hc).toMatchObject({
        NanoCpus: 0.25e9,
        CpuShares: 512,
        CpuPeriod: 100_000,
        CpuQuota: 50_000,
        CpusetCpus: '0-1',
        Memory: 64 * 2 ** 20,
        MemorySwap: -1,
        MemoryReservation: 32 * 2 ** 20,
        MemorySwappiness: 0,
        OomKillDisable: true,
        OomScoreAdj: -200,
        PidsLimit: 100,
        DeviceRequests: [
          { Driver: 'nvidia', Count: 0, DeviceIDs: ['0'], Capabilities: [['gpu']], Options: {} },
        ],
        Devices: [
          { PathOnHost: '/dev/fuse', PathInContainer: '/dev/fuse', CgroupPermissions: 'rwm' },
        ],
      });
    });

    it('maps runtime, logging, DNS, groups, namespaces, storage and annotations', () => {
      expect(hc).toMatchObject({
        Runtime: 'nvidia',
        LogConfig: { Type: 'json-file', Config: { 'max-size': '1m' } },
        DnsSearch: ['corp.example'],
        DnsOptions: ['ndots:2'],
        GroupAdd: ['1234'],
        PidMode: 'host',
        IpcMode: 'shareable',
        UTSMode: 'host',
        UsernsMode: 'host',
        CgroupParent: 'ci.slice',
        StorageOpt: { size: '1G' },
        Annotations: { 'com.example.a': 'b' },
      });
      expect(full.MacAddress).toBe('02:42:ac:11:00:02');
    });

    it('leaves unset options to the engine and sends no empty StorageOpt or Annotations', () => {
      const plain = containerCreateBody({
        name: 'n',
        image: 'i',
        service: service('x', { logging: { options: { tag: 'x' } } }),
        labels: {},
        networks: [],
        volumeNames: {},
        ephemeralPorts: false,
      });
      const h = plain.HostConfig as Record<string, unknown>;
      expect(h.LogConfig).toEqual({ Type: '', Config: { tag: 'x' } });
      for (const key of ['Runtime', 'PidMode', 'MemorySwap', 'CpuShares', 'OomKillDisable'])
        expect(h[key], key).toBeUndefined();
      expect('StorageOpt' in h).toBe(false);
      expect('Annotations' in h).toBe(false);
      expect(plain.MacAddress).toBeUndefined();
    });
  });
});
