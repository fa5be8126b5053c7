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
});
