import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES, fixture, load } from './helpers.js';

describe('wordpress + mysql (awesome-compose shape)', () => {
  const p = load(fixture('wordpress-mysql/compose.yaml'));

  it('reads the database service', () => {
    const db = p.services.db!;
    expect(db.image).toBe('mariadb:10.6.4-focal');
    expect(db.command).toEqual(['--default-authentication-plugin=mysql_native_password']);
    expect(db.mounts).toEqual([
      {
        type: 'volume',
        source: 'db_data',
        target: '/var/lib/mysql',
        readOnly: false,
        noCopy: false,
        pos: { file: 'wordpress-mysql/compose.yaml', line: 10, column: 9 },
      },
    ]);
    expect(db.restart).toEqual({ policy: 'always' });
    expect(db.environment).toEqual({
      MYSQL_ROOT_PASSWORD: 'somewordpress',
      MYSQL_DATABASE: 'wordpress',
      MYSQL_USER: 'wordpress',
      MYSQL_PASSWORD: 'wordpress',
    });
    expect(db.expose).toEqual([
      { port: 3306, protocol: 'tcp' },
      { port: 33060, protocol: 'tcp' },
    ]);
    expect(db.healthcheck).toEqual({
      disable: false,
      test: ['CMD', 'healthcheck.sh', '--connect', '--innodb_initialized'],
      startPeriodMs: 10_000,
      intervalMs: 10_000,
      timeoutMs: 5000,
      retries: 3,
      pos: { file: 'wordpress-mysql/compose.yaml', line: 21, column: 7 },
    });
  });

  it('reads wordpress, its healthy dependency and the implicit default network', () => {
    const wp = p.services.wordpress!;
    expect(wp.ports).toEqual([
      {
        target: 80,
        published: 80,
        protocol: 'tcp',
        pos: { file: 'wordpress-mysql/compose.yaml', line: 31, column: 9 },
      },
    ]);
    expect(wp.dependsOn.db).toMatchObject({ condition: 'service_healthy', required: true });
    expect(wp.environment.WORDPRESS_DB_HOST).toBe('db');
    expect(wp.networks).toEqual({});
    expect(Object.keys(p.networks)).toEqual(['default']);
    expect(Object.keys(p.volumes)).toEqual(['db_data', 'wp_data']);
    expect(p.warnings).toEqual([]);
  });
});

describe('prometheus + grafana (awesome-compose shape)', () => {
  const dir = resolve(FIXTURES, 'prometheus-grafana');

  it('reads commands, container names and bind mounts relative to the project', () => {
    const p = load(fixture('prometheus-grafana/compose.yaml'));
    expect(p.projectDir).toBe(dir);
    const prom = p.services.prometheus!;
    expect(prom.command).toEqual(['--config.file=/etc/prometheus/prometheus.yml']);
    expect(prom.containerName).toBe('prometheus');
    expect(prom.restart).toEqual({ policy: 'unless-stopped' });
    expect(
      prom.mounts.map((m) => ({
        type: m.type,
        source: 'source' in m ? m.source : undefined,
        target: m.target,
        readOnly: 'readOnly' in m && m.readOnly,
      })),
    ).toEqual([
      { type: 'bind', source: `${dir}/prometheus`, target: '/etc/prometheus', readOnly: false },
      { type: 'volume', source: 'prom_data', target: '/prometheus', readOnly: false },
    ]);
    expect(p.services.grafana!.mounts[0]).toMatchObject({
      type: 'bind',
      source: `${dir}/grafana`,
      readOnly: true,
    });
  });

  it('takes ${VAR:-default} from the environment when set, and keeps $$ as a literal $', () => {
    expect(
      load(fixture('prometheus-grafana/compose.yaml')).services.grafana!.environment
        .GF_SECURITY_ADMIN_PASSWORD,
    ).toBe('grafana');
    const p = load(fixture('prometheus-grafana/compose.yaml'), {
      env: { GRAFANA_PASSWORD: 'from-ci' },
    });
    expect(p.services.grafana!.environment).toEqual({
      GF_SECURITY_ADMIN_USER: 'admin',
      GF_SECURITY_ADMIN_PASSWORD: 'from-ci',
    });
    expect(p.services['node-exporter']!.command).toEqual([
      '--path.rootfs=/host',
      '--collector.filesystem.mount-points-exclude=^/(sys|proc|dev|host|etc)($|/)',
    ]);
  });
});

describe('seed 000: x-common anchors merged into seven PC2 services', () => {
  const p = load(fixture('seed-pc2/docker-compose.pc2-local.yml'));

  it('applies the anchored defaults to every service', () => {
    expect(Object.keys(p.services)).toHaveLength(7);
    for (const s of Object.values(p.services)) {
      expect(s.restart).toEqual({ policy: 'on-failure' });
      expect(s.networks).toEqual({ pc2_net: { aliases: [] } });
      expect(s.environment).toEqual({
        PC_ROLE: 'pc2',
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://observabilityhub:4318',
      });
    }
    expect(Object.values(p.services).map((s) => s.ports[0]!.published)).toEqual([
      50100, 50200, 50300, 50400, 50500, 50600, 50700,
    ]);
    expect(p.services.pc2_web_interface!.ports[0]).toMatchObject({ target: 80, published: 50700 });
  });

  it('reads the GPU reservation of the flow-style vision service', () => {
    expect(p.services.pc2_vision_dream_gpu!.resources.reservations.devices).toEqual([
      { capabilities: ['gpu'] },
    ]);
    expect(p.services.pc2_infra_core!.resources.reservations.devices).toEqual([]);
  });

  it('creates no default network when every service names its own, and warns about version', () => {
    expect(Object.keys(p.networks)).toEqual(['pc2_net']);
    expect(p.warnings).toEqual([
      {
        message: '"version" is obsolete and ignored',
        pos: { file: 'seed-pc2/docker-compose.pc2-local.yml', line: 2, column: 1 },
      },
    ]);
  });
});

describe('voting app (dockersamples shape): several networks and builds', () => {
  const p = load(fixture('voting-app/compose.yaml'));
  const dir = resolve(FIXTURES, 'voting-app');

  it('reads builds with targets and string contexts', () => {
    expect(p.services.vote!.build).toMatchObject({
      context: `${dir}/vote`,
      dockerfile: 'Dockerfile',
      target: 'dev',
    });
    expect(p.services.result!.build).toMatchObject({
      context: `${dir}/result`,
      dockerfile: 'Dockerfile',
    });
    expect(p.services.worker!.build!.context).toBe(`${dir}/worker`);
  });

  it('splits a string entrypoint and keeps a loopback-only port', () => {
    const result = p.services.result!;
    expect(result.entrypoint).toEqual(['nodemon', '--inspect=0.0.0.0', 'server.js']);
    expect(result.ports.map((x) => [x.hostIp, x.published, x.target])).toEqual([
      [undefined, 8081, 80],
      ['127.0.0.1', 9229, 9229],
    ]);
  });

  it('attaches services to the front and back tiers only', () => {
    expect(Object.keys(p.services.vote!.networks)).toEqual(['front-tier', 'back-tier']);
    expect(Object.keys(p.services.db!.networks)).toEqual(['back-tier']);
    expect(Object.keys(p.networks)).toEqual(['front-tier', 'back-tier']);
    expect(p.networks['front-tier']).toMatchObject({
      name: 'front-tier',
      external: false,
      driverOpts: {},
      labels: {},
    });
  });

  it('reads shell healthchecks and healthy dependencies', () => {
    expect(p.services.redis!.healthcheck).toMatchObject({
      test: ['CMD-SHELL', '/healthchecks/redis.sh'],
      intervalMs: 5000,
    });
    expect(
      Object.fromEntries(
        Object.entries(p.services.worker!.dependsOn).map(([k, d]) => [k, d.condition]),
      ),
    ).toEqual({
      redis: 'service_healthy',
      db: 'service_healthy',
    });
  });
});
