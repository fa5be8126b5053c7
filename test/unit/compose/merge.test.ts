import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES, fixture, load, source } from './helpers.js';

const base = (line: number, column: number) => ({ file: 'override/compose.yaml', line, column });
const over = (line: number, column: number) => ({
  file: 'override/compose.override.yaml',
  line,
  column,
});
const dir = resolve(FIXTURES, 'override');

describe('merging compose.yaml with compose.override.yaml', () => {
  const p = load([fixture('override/compose.yaml'), fixture('override/compose.override.yaml')]);
  const web = p.services.web!;

  it('keeps the service where it was first defined', () => {
    expect(web.pos).toEqual(base(3, 3));
    expect(p.services.adminer!.pos).toEqual(over(43, 3));
  });

  it('replaces scalars and shell commands, adds build next to image', () => {
    expect(web.image).toBe('example/my_web_app:latest');
    expect(web.build).toEqual({
      context: dir,
      dockerfile: 'Dockerfile',
      args: {},
      labels: {},
      pos: over(4, 12),
    });
    expect(web.command).toEqual(['python', 'otherapp.py', '--debug']);
    expect(p.services.db!.command).toEqual(['-d']);
  });

  it('merges environment and labels by key, env_file below environment', () => {
    expect(web.environment).toEqual({
      FOO: 'original',
      QUX: 'from-file',
      TOKEN: 'abc def',
      BAR: 'local',
      BAZ: 'local',
    });
    expect(web.labels).toEqual({ 'com.example.tier': 'frontend', 'com.example.env': 'dev' });
  });

  it('appends ports, expose and dns without duplicates; each port keeps the position of its source', () => {
    expect(web.ports).toEqual([
      { target: 8000, published: 8000, protocol: 'tcp', pos: over(12, 9) },
      { target: 80, published: 8883, protocol: 'tcp', pos: over(13, 9) },
    ]);
    expect(web.expose.map((e) => e.port)).toEqual([3000, 4000, 5000]);
    expect(web.dns).toEqual(['1.1.1.1', '8.8.8.8']);
  });

  it('merges volumes by container path', () => {
    expect(web.mounts.map((m) => [m.type === 'tmpfs' ? '' : m.source, m.target, m.pos])).toEqual([
      [`${dir}/original`, '/foo', base(20, 9)],
      [`${dir}/local`, '/bar', over(18, 9)],
      [`${dir}/local`, '/baz', over(19, 9)],
    ]);
  });

  it('merges healthcheck and resources as mappings', () => {
    expect(web.healthcheck).toEqual({
      disable: false,
      test: ['CMD', 'curl', '-f', 'http://localhost:8000/'],
      intervalMs: 2000,
      pos: base(24, 7),
    });
    expect(web.resources.limits).toEqual({ cpus: 1.5, memoryBytes: 1024 ** 3 });
  });

  it('merges depends_on and networks by name, attachments as mappings', () => {
    expect(Object.keys(web.dependsOn)).toEqual(['db', 'cache']);
    expect(p.services.cache!.dependsOn).toEqual({
      db: { condition: 'service_started', required: true, pos: over(41, 9) },
    });
    expect(p.services.db!.networks).toEqual({
      backend: { aliases: ['database'], ipv4Address: '172.28.0.5' },
    });
    expect(p.networks.backend).toEqual({
      name: 'backend',
      driver: 'bridge',
      driverOpts: { 'com.docker.network.bridge.name': 'br-test' },
      internal: false,
      attachable: false,
      enableIpv6: false,
      ipam: { config: [{ subnet: '172.28.0.0/16' }] },
      labels: { tier: 'data', owner: 'ci' },
      external: false,
      pos: base(42, 3),
    });
  });

  it('adds services that only the override defines', () => {
    expect(Object.keys(p.services)).toEqual(['web', 'db', 'cache', 'adminer']);
    expect(p.services.adminer!.image).toBe('adminer');
  });
});

describe('merge rules in detail', () => {
  it('lets a later bare, unset variable remove a value, also one from an env file', () => {
    const p = load([
      source(
        'services:\n  a:\n    image: x\n    env_file: ./web.env\n    environment: { KEEP: "1", DROP: "2" }\n',
        'a.yaml',
        dir,
      ),
      source('services:\n  a:\n    environment: [DROP, FOO]\n', 'b.yaml', dir),
    ]);
    expect(p.services.a!.environment).toEqual({ KEEP: '1', QUX: 'from-file', TOKEN: 'abc def' });
  });

  it('resolves paths of every source from the first source folder, as compose does', () => {
    const p = load([
      source('services:\n  a:\n    image: x\n', 'base.yaml', '/repo/app'),
      source(
        'services:\n  a:\n    build: ./src\n    volumes: [./data:/data]\n',
        'ci/override.yaml',
        '/repo/app/ci',
      ),
    ]);
    expect(p.projectDir).toBe('/repo/app');
    expect(p.services.a!.build!.context).toBe('/repo/app/src');
    expect(p.services.a!.mounts).toMatchObject([{ type: 'bind', source: '/repo/app/data' }]);
  });

  it('replaces a healthcheck test and takes its position from there', () => {
    const p = load([
      source(
        'services:\n  a:\n    image: x\n    healthcheck: { test: "true", retries: 3 }\n',
        'a.yaml',
      ),
      source('services:\n  a:\n    healthcheck:\n      test: ["CMD", "ok"]\n', 'b.yaml'),
    ]);
    expect(p.services.a!.healthcheck).toEqual({
      disable: false,
      test: ['CMD', 'ok'],
      retries: 3,
      pos: { file: 'b.yaml', line: 4, column: 7 },
    });
  });

  it('merges ulimits by name, extra_hosts by host, sysctls by key, device requests by appending', () => {
    const p = load([
      source(
        `services:
  a:
    image: x
    ulimits: { nofile: 1024, nproc: 512 }
    extra_hosts: ["db=10.0.0.1", "cache=10.0.0.2"]
    sysctls: { net.core.somaxconn: 128 }
    deploy: { resources: { reservations: { devices: [{ capabilities: [gpu], count: 1 }] } } }
`,
        'a.yaml',
      ),
      source(
        `services:
  a:
    ulimits: { nofile: { soft: 2048, hard: 4096 } }
    extra_hosts: { db: 10.9.9.9 }
    sysctls: ["net.ipv4.ip_forward=1"]
    deploy: { resources: { reservations: { devices: [{ capabilities: [tpu], count: 2 }] } } }
`,
        'b.yaml',
      ),
    ]);
    const a = p.services.a!;
    expect(a.ulimits).toEqual([
      { name: 'nofile', soft: 2048, hard: 4096 },
      { name: 'nproc', soft: 512, hard: 512 },
    ]);
    expect(a.extraHosts).toEqual(['db:10.9.9.9', 'cache:10.0.0.2']);
    expect(a.sysctls).toEqual({ 'net.core.somaxconn': '128', 'net.ipv4.ip_forward': '1' });
    expect(a.resources.reservations.devices).toEqual([
      { capabilities: ['gpu'], count: 1 },
      { capabilities: ['tpu'], count: 2 },
    ]);
  });

  it('takes the last name: and merges top-level volumes', () => {
    const p = load([
      source(
        'name: first\nservices:\n  a: { image: x, volumes: ["d:/d"] }\nvolumes:\n  d: { driver: local }\n',
        'a.yaml',
      ),
      source('name: second\nvolumes:\n  d: { labels: { keep: "yes" } }\n', 'b.yaml'),
    ]);
    expect(p.name).toBe('second');
    expect(p.volumes.d).toEqual({
      name: 'd',
      driver: 'local',
      driverOpts: {},
      labels: { keep: 'yes' },
      external: false,
      pos: { file: 'a.yaml', line: 5, column: 3 },
    });
  });
});
