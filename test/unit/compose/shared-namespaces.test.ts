import { describe, expect, it } from 'vitest';
import { containerCreateBody } from '../../../src/engine/container-spec.js';
import { plan } from '../../../src/orchestrator/plan.js';
import { replicaRequest, sharesAnother } from '../../../src/orchestrator/replica-request.js';
import { suite, topology } from '../../support/specs.js';
import { loadText, problems } from './helpers.js';

const VPN = `services:
  vpn:
    image: vpn
    deploy: { replicas: 2 }
  app:
    image: app
    network_mode: service:vpn
    ipc: service:shm
    pid: "container:agent"
    volumes_from: [data, "data2:ro", "container:ext:ro"]
  shm:
    image: shm
    ipc: shareable
  data:
    image: data
  data2:
    image: data
`;

describe('shared namespaces and volumes_from', () => {
  it('keeps the references and makes each service a dependency, as compose does', () => {
    const app = loadText(VPN).services.app!;
    expect(app).toMatchObject({
      networkMode: 'service:vpn',
      ipc: 'service:shm',
      pid: 'container:agent',
    });
    expect(app.volumesFrom).toEqual([
      { service: 'data', readOnly: false, pos: expect.anything() },
      { service: 'data2', readOnly: true, pos: expect.anything() },
      { container: 'ext', readOnly: true, pos: expect.anything() },
    ]);
    // compose-go: namespaces are service_started with restart: true, volumes_from without.
    const deps = Object.fromEntries(
      Object.entries(app.dependsOn).map(([k, d]) => [k, [d.condition, d.restart ?? false]]),
    );
    expect(deps).toEqual({
      vpn: ['service_started', true],
      shm: ['service_started', true],
      data: ['service_started', false],
      data2: ['service_started', false],
    });
  });

  it('lets an explicit depends_on say how to wait', () => {
    const p = loadText(
      VPN.replace(
        '    network_mode: service:vpn\n',
        '    network_mode: service:vpn\n    depends_on: { vpn: { condition: service_healthy } }\n',
      ),
    );
    expect(p.services.app!.dependsOn.vpn!.condition).toBe('service_healthy');
  });

  it('warns of ports, expose and name resolution on a service that joins another network, at the line', () => {
    // compose's config takes the file; the engine refuses such a container at create.
    const p = loadText(`services:
  vpn: { image: vpn }
  app:
    image: app
    network_mode: "service:vpn"
    ports: ["8080:80"]
    hostname: app
`);
    expect(p.warnings.map((w) => `${w.pos.line}:${w.pos.column} ${w.message}`)).toEqual([
      '6:13 service "app" joins the network of "service:vpn" and sets ports: the engine refuses both (conflicting options), as with docker compose up; publish the port on the service whose network it joins, which reaches the same sockets',
      '5:19 service "app" joins the network of "service:vpn" and sets hostname: the engine refuses both (conflicting options), as with docker compose up; set hostname on the service whose network it joins',
    ]);
  });

  it('reports bad volumes_from entries and missing services', () => {
    expect(
      problems(() =>
        loadText(`services:
  a:
    image: x
    volumes_from: ["b:rx", "container:", dbb]
  db: { image: y }
`),
      ),
    ).toEqual([
      'compose.yaml:4:20 services.a.volumes_from[0]: "b:rx" is not a volumes_from entry',
      'compose.yaml:4:28 services.a.volumes_from[1]: "container:" is not a volumes_from entry',
      'compose.yaml:4:42 service "a" mounts the volumes of "dbb", which is not defined',
    ]);
  });

  it("resolves service:X to X's first container of the run, and creates after it", () => {
    const project = loadText(VPN);
    const t = plan(suite([topology('t', Object.values(project.services))]), 'r1').topologies[0]!;
    const app = t.services.find((s) => s.spec.name === 'app')!;
    expect(sharesAnother(app.spec)).toBe(true);
    expect(sharesAnother(t.services.find((s) => s.spec.name === 'vpn')!.spec)).toBe(false);
    const order = t.services.map((s) => s.spec.name);
    for (const dep of ['vpn', 'shm', 'data', 'data2'])
      expect(order.indexOf(dep)).toBeLessThan(order.indexOf('app'));
    const body = containerCreateBody(replicaRequest(t, app, 1, {}));
    expect(body.HostConfig).toMatchObject({
      NetworkMode: 'container:sc-r1-t-vpn-1',
      IpcMode: 'container:sc-r1-t-shm-1',
      PidMode: 'container:agent',
      VolumesFrom: ['sc-r1-t-data-1:rw', 'sc-r1-t-data2-1:ro', 'ext:ro'],
    });
    expect(body.NetworkingConfig).toBeUndefined();
  });
});

describe('deploy.restart_policy', () => {
  const restart = (text: string) =>
    loadText(`services:\n  a:\n    image: x\n${text}`).services.a!.restart;

  it('maps conditions as compose v2 does, max_attempts for on-failure', () => {
    expect(restart('    deploy: { restart_policy: { condition: any } }\n')).toEqual({
      policy: 'always',
    });
    expect(restart('    deploy: { restart_policy: { condition: none } }\n')).toEqual({
      policy: 'no',
    });
    expect(restart('    deploy: { restart_policy: { max_attempts: 3 } }\n')).toEqual({
      policy: 'no',
    });
    expect(
      restart('    deploy: { restart_policy: { condition: on-failure, max_attempts: 3 } }\n'),
    ).toEqual({ policy: 'on-failure', maxRetries: 3 });
  });

  it('wins over restart, across files too, as compose applies them', () => {
    expect(
      restart('    restart: "no"\n    deploy: { restart_policy: { condition: any } }\n'),
    ).toEqual({ policy: 'always' });
    expect(restart('    restart: unless-stopped\n')).toEqual({ policy: 'unless-stopped' });
  });

  it('warns that delay and window are not applied, and refuses an unknown condition', () => {
    const p = loadText(
      'services:\n  a:\n    image: x\n    deploy:\n      restart_policy: { condition: any, delay: 5s, window: 1m }\n',
    );
    expect(p.warnings.map((w) => `${w.pos.line}:${w.pos.column} ${w.message}`)).toEqual([
      expect.stringMatching(
        /^5:41 services\.a\.deploy\.restart_policy\.delay: ignored on a single engine/,
      ),
      expect.stringMatching(
        /^5:52 services\.a\.deploy\.restart_policy\.window: ignored on a single engine/,
      ),
    ]);
    expect(
      problems(() =>
        loadText(
          'services:\n  a:\n    image: x\n    deploy: { restart_policy: { condition: sometimes } }\n',
        ),
      ),
    ).toEqual([
      'compose.yaml:4:44 services.a.deploy.restart_policy.condition: unknown restart condition "sometimes"',
    ]);
  });
});

describe('build keys that change what is built', () => {
  it('reads tags, dockerfile_inline, additional_contexts, secrets, ssh and a remote context', () => {
    const p = loadText(
      `services:
  a:
    build:
      context: ./app
      dockerfile_inline: "FROM x"
      tags: ["a:1", "b:2"]
      additional_contexts: { assets: ./assets, base: "docker-image://alpine:3", other: "service:b" }
      secrets: [npm, { source: token, target: gh }]
      ssh: [default]
  b:
    build: https://github.com/example/repo.git#main:sub
secrets:
  npm: { environment: NPM }
  token: { environment: TOK }
`,
      { env: { NPM: 'n1', TOK: 't1' } },
    );
    expect(p.services.a!.build).toMatchObject({
      context: '/proj/app',
      dockerfileInline: 'FROM x',
      tags: ['a:1', 'b:2'],
      additionalContexts: {
        assets: '/proj/assets',
        base: 'docker-image://alpine:3',
        other: 'service:b',
      },
      secrets: [
        { source: 'npm', id: 'npm', text: 'n1' },
        { source: 'token', id: 'gh', text: 't1' },
      ],
      ssh: ['default'],
    });
    expect(p.services.b!.build).toMatchObject({
      context: 'https://github.com/example/repo.git#main:sub',
      remote: true,
      dockerfile: 'Dockerfile',
    });
  });

  it('reports a service: context whose service does not exist', () => {
    expect(
      problems(() =>
        loadText(
          'services:\n  a:\n    build: { context: ., additional_contexts: { p: "service:nope" } }\n',
        ),
      ),
    ).toEqual([
      'compose.yaml:3:12 service "a" builds with the image of "nope", which is not defined',
    ]);
  });

  it('refuses dockerfile together with dockerfile_inline', () => {
    expect(
      problems(() =>
        loadText(
          'services:\n  a:\n    build: { context: ., dockerfile: D, dockerfile_inline: "FROM x" }\n',
        ),
      ),
    ).toEqual([
      'compose.yaml:3:41 services.a.build: dockerfile and dockerfile_inline cannot both be set',
    ]);
  });
});
