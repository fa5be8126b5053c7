import { describe, expect, it } from 'vitest';
import { loadText, problems } from './helpers.js';

const at = (line: number, column: number) => ({ file: 'compose.yaml', line, column });

describe('every supported service key', () => {
  it('normalises the mapping / long forms', () => {
    const p = loadText(
      `services:
  api:
    image: example/api:2.1
    build:
      context: ./api
      dockerfile: docker/Dockerfile.prod
      args:
        NODE_VERSION: 20
        GIT_SHA:
        NPM_TOKEN:
      target: runtime
      labels:
        org.opencontainers.image.source: https://example.com/api
    pull_policy: missing
    command: ["node", "dist/server.js", "--port", 3000]
    entrypoint: ["/sbin/tini", "--"]
    environment:
      NODE_ENV: production
      DEBUG: false
      FROM_RUNNER:
      UNSET_ON_RUNNER:
    expose: ["9229"]
    depends_on:
      db:
        condition: service_healthy
        restart: true
      migrate:
        condition: service_completed_successfully
    healthcheck:
      test: ["CMD", "wget", "-qO-", "http://localhost:3000/health"]
      interval: 1m30s
      timeout: 10s
      retries: 3
      start_period: 40s
      start_interval: 500ms
    networks:
      front:
        aliases: [api.internal, backend]
        ipv4_address: 172.20.0.10
        ipv6_address: "2001:db8::10"
        priority: 100
      back:
    labels:
      com.example.team: core
      com.example.empty:
    restart: on-failure:5
    stop_signal: SIGINT
    stop_grace_period: 1m
    user: "1000:1000"
    working_dir: /app
    read_only: true
    privileged: false
    cap_add: [NET_ADMIN]
    cap_drop: [ALL]
    extra_hosts:
      host.docker.internal: host-gateway
      dual: ["10.0.0.1", "10.0.0.2"]
    hostname: api
    domainname: example.internal
    container_name: api-main
    init: true
    ulimits:
      nproc: 65535
      nofile:
        soft: 20000
        hard: 40000
    deploy:
      replicas: 1
      resources:
        limits:
          cpus: "0.50"
          memory: 512M
          pids: 200
        reservations:
          cpus: 0.25
          memory: 128m
    scale: 1
    profiles: [api, full]
    dns: [1.1.1.1, 8.8.8.8]
    shm_size: 256MiB
    sysctls:
      net.core.somaxconn: 1024
    security_opt: ["no-new-privileges:true"]
    tty: true
    stdin_open: true
    mem_limit: 512M
    memswap_limit: 1g
    mem_reservation: 128m
    mem_swappiness: 10
    cpus: 0.5
    cpu_shares: 512
    cpuset: "0-1"
    pids_limit: 200
    oom_kill_disable: true
    oom_score_adj: -500
    gpus:
      - driver: nvidia
        count: 1
        capabilities: [utility]
    runtime: nvidia
    devices:
      - source: /dev/ttyUSB0
        target: /dev/ttyACM0
        permissions: rw
    logging:
      driver: json-file
      options:
        max-size: 10m
        max-file: 3
    links: ["db:database", migrate]
    dns_search: [dc1.example.com, dc2.example.com]
    dns_opt: [use-vc, "ndots:2"]
    group_add: [mail, 1001]
    pid: host
    ipc: shareable
    uts: host
    userns_mode: host
    mac_address: "02:42:ac:11:00:02"
    cgroup_parent: m-executor-abcd
    storage_opt:
      size: 1G
    platform: linux/arm64/v8
    annotations:
      com.example.foo: bar
    x-owner: { team: core, oncall: "#api" }
  db:
    image: postgres:16
  migrate:
    image: example/api:2.1
networks:
  front:
  back:
`,
      { env: { GIT_SHA: 'abc123', FROM_RUNNER: 'yes' }, profiles: ['api'] },
    );
    expect(p.services.api).toEqual({
      name: 'api',
      pos: at(2, 3),
      image: 'example/api:2.1',
      build: {
        context: '/proj/api',
        dockerfile: 'docker/Dockerfile.prod',
        args: { NODE_VERSION: '20', GIT_SHA: 'abc123' },
        target: 'runtime',
        labels: { 'org.opencontainers.image.source': 'https://example.com/api' },
        pos: at(5, 7),
      },
      pullPolicy: 'missing',
      command: ['node', 'dist/server.js', '--port', '3000'],
      entrypoint: ['/sbin/tini', '--'],
      environment: { NODE_ENV: 'production', DEBUG: 'false', FROM_RUNNER: 'yes' },
      ports: [],
      expose: [{ port: 9229, protocol: 'tcp' }],
      dependsOn: {
        db: { condition: 'service_healthy', required: true, restart: true, pos: at(24, 7) },
        migrate: { condition: 'service_completed_successfully', required: true, pos: at(27, 7) },
      },
      healthcheck: {
        disable: false,
        test: ['CMD', 'wget', '-qO-', 'http://localhost:3000/health'],
        intervalMs: 90_000,
        timeoutMs: 10_000,
        retries: 3,
        startPeriodMs: 40_000,
        startIntervalMs: 500,
        pos: at(30, 7),
      },
      networks: {
        front: {
          aliases: ['api.internal', 'backend'],
          ipv4Address: '172.20.0.10',
          ipv6Address: '2001:db8::10',
          priority: 100,
        },
        back: { aliases: [] },
      },
      mounts: [],
      labels: { 'com.example.team': 'core', 'com.example.empty': '' },
      restart: { policy: 'on-failure', maxRetries: 5 },
      stopSignal: 'SIGINT',
      stopGracePeriodMs: 60_000,
      user: '1000:1000',
      workingDir: '/app',
      readOnly: true,
      privileged: false,
      capAdd: ['NET_ADMIN'],
      capDrop: ['ALL'],
      extraHosts: ['host.docker.internal:host-gateway', 'dual:10.0.0.1', 'dual:10.0.0.2'],
      hostname: 'api',
      domainname: 'example.internal',
      containerName: 'api-main',
      init: true,
      ulimits: [
        { name: 'nproc', soft: 65535, hard: 65535 },
        { name: 'nofile', soft: 20000, hard: 40000 },
      ],
      replicas: 1,
      resources: {
        limits: {
          cpus: 0.5,
          memoryBytes: 512 * 1024 ** 2,
          pids: 200,
          memorySwapBytes: 1024 ** 3,
        },
        reservations: {
          cpus: 0.25,
          memoryBytes: 128 * 1024 ** 2,
          devices: [{ driver: 'nvidia', count: 1, capabilities: ['gpu', 'utility'] }],
        },
        memorySwappiness: 10,
        cpuShares: 512,
        cpuset: '0-1',
        oomKillDisable: true,
        oomScoreAdj: -500,
      },
      profiles: ['api', 'full'],
      dns: ['1.1.1.1', '8.8.8.8'],
      dnsSearch: ['dc1.example.com', 'dc2.example.com'],
      dnsOpt: ['use-vc', 'ndots:2'],
      groupAdd: ['mail', '1001'],
      runtime: 'nvidia',
      devices: [{ source: '/dev/ttyUSB0', target: '/dev/ttyACM0', permissions: 'rw' }],
      logging: { driver: 'json-file', options: { 'max-size': '10m', 'max-file': '3' } },
      links: [
        { service: 'db', alias: 'database', pos: at(110, 13) },
        { service: 'migrate', alias: 'migrate', pos: at(110, 28) },
      ],
      pid: 'host',
      ipc: 'shareable',
      uts: 'host',
      usernsMode: 'host',
      macAddress: '02:42:ac:11:00:02',
      cgroupParent: 'm-executor-abcd',
      storageOpt: { size: '1G' },
      platform: 'linux/arm64/v8',
      annotations: { 'com.example.foo': 'bar' },
      shmSizeBytes: 256 * 1024 ** 2,
      sysctls: { 'net.core.somaxconn': '1024' },
      securityOpt: ['no-new-privileges:true'],
      tty: true,
      stdinOpen: true,
      extensions: { 'x-owner': { team: 'core', oncall: '#api' } },
    });
  });

  it('normalises the list / string forms and applies defaults', () => {
    const p = loadText(
      `services:
  worker:
    build: ./worker
    command: celery -A proj worker --loglevel="info debug"
    entrypoint: /docker-entrypoint.sh
    environment:
      - QUEUE=default
      - EMPTY=
      - FROM_RUNNER
      - UNSET_ON_RUNNER
    depends_on: [redis]
    healthcheck:
      test: celery inspect ping
    networks: [default]
    labels: ["com.example.role=worker", "com.example.flag"]
    restart: unless-stopped
    extra_hosts: ["db=10.0.0.5", "v6:::1", "br=[fe80::1]"]
    dns: 9.9.9.9
    sysctls: ["net.ipv4.tcp_syncookies=0"]
    tmpfs: /tmp
  redis:
    image: redis:7
    restart: "no"
    healthcheck:
      disable: true
  quiet:
    image: busybox
    healthcheck:
      test: ["NONE"]
    network_mode: host
`,
      { env: { FROM_RUNNER: 'r' } },
    );
    const w = p.services.worker!;
    expect(w.build).toEqual({
      context: '/proj/worker',
      dockerfile: 'Dockerfile',
      args: {},
      labels: {},
      pos: at(3, 12),
    });
    expect(w.image).toBeUndefined();
    expect(w.command).toEqual(['celery', '-A', 'proj', 'worker', '--loglevel=info debug']);
    expect(w.entrypoint).toEqual(['/docker-entrypoint.sh']);
    expect(w.environment).toEqual({ QUEUE: 'default', EMPTY: '', FROM_RUNNER: 'r' });
    expect(w.dependsOn).toEqual({
      redis: { condition: 'service_started', required: true, pos: at(11, 18) },
    });
    expect(w.healthcheck).toEqual({
      disable: false,
      test: ['CMD-SHELL', 'celery inspect ping'],
      pos: at(13, 7),
    });
    expect(w.networks).toEqual({ default: { aliases: [] } });
    expect(w.labels).toEqual({ 'com.example.role': 'worker', 'com.example.flag': '' });
    expect(w.restart).toEqual({ policy: 'unless-stopped' });
    expect(w.extraHosts).toEqual(['db:10.0.0.5', 'v6:::1', 'br:fe80::1']);
    expect(w.dns).toEqual(['9.9.9.9']);
    expect(w.sysctls).toEqual({ 'net.ipv4.tcp_syncookies': '0' });
    expect(w.mounts).toEqual([{ type: 'tmpfs', target: '/tmp', pos: at(20, 12) }]);
    expect(w.replicas).toBe(1);
    expect(w.readOnly).toBe(false);

    expect(p.services.redis!.restart).toEqual({ policy: 'no' });
    expect(p.services.redis!.healthcheck).toEqual({ disable: true, pos: at(25, 7) });
    expect(p.services.redis!.networks).toEqual({});
    expect(p.services.quiet!.healthcheck).toEqual({ disable: true, pos: at(29, 7) });
    expect(p.services.quiet!.networkMode).toBe('host');
    expect(p.services.quiet!.restart).toBeUndefined();
    expect(Object.keys(p.networks)).toEqual(['default']);
    expect(p.networks.default).toMatchObject({
      name: 'default',
      external: false,
      internal: false,
      driverOpts: {},
    });
  });

  it('accepts interpolated text where compose expects numbers and booleans', () => {
    const p = loadText(
      `services:
  app:
    image: app
    scale: \${REPLICAS}
    privileged: \${PRIV}
    stop_grace_period: \${GRACE}
    ports: ["\${PORT}:80"]
`,
      { env: { REPLICAS: '3', PRIV: 'true', GRACE: '600' } },
    );
    expect(p.services.app).toMatchObject({
      replicas: 3,
      privileged: true,
      stopGracePeriodMs: 600_000,
    });
    expect(p.warnings).toEqual([
      {
        message: 'services.app.ports[0]: variable PORT is not set; using an empty string',
        pos: at(7, 13),
      },
    ]);
    expect(p.services.app!.ports).toEqual([{ target: 80, protocol: 'tcp', pos: at(7, 13) }]);
  });

  it('reads gpu device requests: count all, device ids, options', () => {
    const p = loadText(`services:
  gpu:
    image: cuda
    deploy:
      resources:
        reservations:
          devices:
            - { driver: nvidia, count: all, capabilities: [gpu] }
            - { driver: nvidia, count: 2, capabilities: [gpu, utility] }
            - { device_ids: ["GPU-1a2b"], capabilities: [gpu], options: { virtualization: false } }
`);
    expect(p.services.gpu!.resources.reservations.devices).toEqual([
      { driver: 'nvidia', count: -1, capabilities: ['gpu'] },
      { driver: 'nvidia', count: 2, capabilities: ['gpu', 'utility'] },
      { deviceIds: ['GPU-1a2b'], capabilities: ['gpu'], options: { virtualization: 'false' } },
    ]);
  });

  it('rejects what compose itself rejects in these keys', () => {
    expect(
      problems(() =>
        loadText(`services:
  app:
    image: app
    scale: 2
    deploy:
      replicas: 3
      resources:
        reservations:
          devices:
            - { count: 1, device_ids: ["0"] }
    container_name: "bad name"
    pull_policy: daily
    network_mode: host
    networks: [default]
    ulimits:
      nofile: { soft: 10 }
    command: echo 'unterminated
`),
      ),
    ).toEqual([
      'compose.yaml:2:3 service "app" sets both network_mode and networks',
      'compose.yaml:6:17 services.app.deploy.replicas: 3 replicas disagrees with the 2 set by scale / deploy.replicas',
      'compose.yaml:10:15 services.app.deploy.resources.reservations.devices[0]: a device request needs "capabilities"',
      'compose.yaml:10:17 services.app.deploy.resources.reservations.devices[0]: "count" and "device_ids" cannot both be set',
      'compose.yaml:11:21 services.app.container_name: "bad name" is not a valid container name',
      'compose.yaml:16:15 services.app.ulimits.nofile: a ulimit mapping needs both "soft" and "hard"',
      "compose.yaml:17:14 services.app.command: unterminated single quote in: echo 'unterminated",
    ]);
  });
});
