import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunResults } from '../../src/model/results.js';
import { LABEL } from '../../src/common/labels.js';
import { cli, workdir } from '../support/cli.js';
import { leftovers, NOTHING, uniqueSuite } from '../support/engine.js';

/*
 * The compose keys that change what runs, on the real engine: shared namespaces
 * (network_mode/ipc/pid: service:X), volumes_from, and deploy.restart_policy.
 */

const BUSYBOX = 'stackcheck-fixture/busybox:1';
/** A secret value with no secret-looking variable name, so only its source can mask it. */
const SECRET = `rk-${Math.random().toString(36).slice(2)}-value`;

function docker(...args: string[]): string {
  return execFileSync('docker', args, { encoding: 'utf8' });
}

function runIdsOf(suite: string): string[] {
  const out = docker(
    'ps',
    '-a',
    '--filter',
    `label=${LABEL.suite}=${suite}`,
    '--format',
    `{{.Label "${LABEL.run}"}}`,
  );
  return [...new Set(out.split('\n').filter(Boolean))];
}

/** The namespace a container's main process is in: `net:[4026532…]`. */
function ns(container: string, kind: string): string {
  return docker('exec', container, 'readlink', `/proc/1/ns/${kind}`).trim();
}

describe('shared namespaces, volumes_from and deploy.restart_policy on a real engine', () => {
  const suite = uniqueSuite('compose-runkeys');
  const dir = workdir({
    'stackcheck.yml': `version: 1
name: ${suite}
topologies:
  t:
    compose: compose.yml
    publish: ephemeral
    wait: { timeout: 1m }
checks:
  - name: the app answers on the vpn's published port
    http: { service: vpn, port: 8080, path: /index.html }
    expect: { status: 200, body: app behind the vpn }
    retry: { timeout: 20s, interval: 250ms }
  - name: the vpn reaches the app on its own loopback
    exec: { service: vpn, command: [wget, -qO-, "http://127.0.0.1:8080/index.html"] }
    expect: { exit: 0, stdout: app behind the vpn }
    retry: { timeout: 20s, interval: 250ms }
  - name: the app reads the file the data service wrote
    exec: { service: app, command: [cat, /shared/hello.txt] }
    expect: { exit: 0, stdout: written by data }
    retry: { timeout: 20s, interval: 250ms }
  - name: the app reads its secret from the environment
    exec: { service: app, command: [cat, /run/secrets/api.key] }
    expect: { exit: 0, stdout: ${SECRET} }
  - name: the app sees the vpn's processes
    exec: { service: app, command: [ps, -o, args] }
    expect: { exit: 0, stdout: sleep 3601 }
`,
    'compose.yml': `services:
  vpn:
    image: ${BUSYBOX}
    command: [sleep, "3601"]
    init: true
    ipc: shareable
    ports: ["8080"]
  app:
    image: ${BUSYBOX}
    network_mode: service:vpn
    ipc: service:vpn
    pid: service:vpn
    volumes_from: ["data:ro"]
    secrets:
      - { source: api_key, target: api.key, uid: "1234", gid: "2345", mode: 0440 }
    configs:
      - { source: motd, target: /etc/motd }
    command: [sh, -c, "mkdir -p /www && echo app behind the vpn > /www/index.html && exec httpd -f -p 8080 -h /www"]
  data:
    image: ${BUSYBOX}
    init: true
    volumes: [shared:/shared]
    command: [sh, -c, "echo written by data > /shared/hello.txt && exec sleep 3600"]
  bouncer:
    image: ${BUSYBOX}
    command: [sh, -c, "sleep 1"]
    deploy:
      restart_policy: { condition: any, delay: 5s }
volumes:
  shared: {}
secrets:
  api_key: { environment: RUNKEYS_API }
configs:
  motd: { content: "hello from content" }
`,
  });
  let results: RunResults | undefined;
  let code: number | undefined;
  let output = '';
  const name = (service: string, replica = 1) => `sc-${results!.runId}-t-${service}-${replica}`;

  beforeAll(async () => {
    const r = await cli(
      ['run', 'stackcheck.yml', '--keep', '--json', 'results.json', '--junit', 'junit.xml'],
      { cwd: dir, env: { ...process.env, RUNKEYS_API: SECRET } },
    );
    code = r.code ?? undefined;
    output = r.stdout + r.stderr;
    results = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as RunResults;
  });

  afterAll(async () => {
    for (const runId of new Set([...(results ? [results.runId] : []), ...runIdsOf(suite)]))
      await cli(['down', '--run', runId], { cwd: dir });
  });

  it('comes up, and every check passes', () => {
    expect(
      code,
      output + JSON.stringify(results!.checks.map((c) => [c.name, c.status, c.message])),
    ).toBe(0);
    expect(results!.checks.map((c) => [c.name, c.status])).toEqual([
      ["the app answers on the vpn's published port", 'passed'],
      ['the vpn reaches the app on its own loopback', 'passed'],
      ['the app reads the file the data service wrote', 'passed'],
      ['the app reads its secret from the environment', 'passed'],
      ["the app sees the vpn's processes", 'passed'],
    ]);
  });

  it("joins the network, ipc and pid namespaces of the vpn's container", () => {
    for (const kind of ['net', 'ipc', 'pid'])
      expect(ns(name('app'), kind), kind).toBe(ns(name('vpn', 1), kind));
  });

  it('mounts the data volume read-only, and starts each shared service first', () => {
    expect(() => docker('exec', name('app'), 'touch', '/shared/x')).toThrow(/Read-only/i);
    const svc = Object.fromEntries(results!.topologies[0]!.services.map((s) => [s.name, s]));
    for (const first of ['vpn', 'data'])
      expect(svc.app!.startingMs!).toBeGreaterThanOrEqual(svc[first]!.startedMs!);
    expect(output).toMatch(/restart_policy\.delay: ignored on a single engine/);
  });

  it('copies the secret from the environment and the config from content in, with owner and mode', () => {
    expect(docker('exec', name('app'), 'cat', '/run/secrets/api.key')).toBe(SECRET);
    expect(
      docker('exec', name('app'), 'stat', '-c', '%u %g %a', '/run/secrets/api.key').trim(),
    ).toBe('1234 2345 440');
    expect(docker('exec', name('app'), 'cat', '/etc/motd')).toBe('hello from content');
    expect(docker('exec', name('app'), 'stat', '-c', '%a', '/etc/motd').trim()).toBe('444');
  });

  it('keeps the secret out of the output and every report', () => {
    expect(output).not.toContain(SECRET);
    expect(readFileSync(join(dir, 'results.json'), 'utf8')).not.toContain(SECRET);
    expect(readFileSync(join(dir, 'junit.xml'), 'utf8')).not.toContain(SECRET);
  });

  it('restarts a container that exits, from deploy.restart_policy (any -> always)', async () => {
    const inspect = () =>
      JSON.parse(
        docker(
          'inspect',
          '--format',
          '{{json .HostConfig.RestartPolicy}} {{.RestartCount}}',
          name('bouncer'),
        ).replace(/^(.*) (\d+)\s*$/, '[$1, $2]'),
      ) as [{ Name: string }, number];
    expect(inspect()[0].Name).toBe('always');
    // It exits after a second; the engine starts it again (short poll, bounded).
    const until = Date.now() + 20_000;
    while (inspect()[1] < 1 && Date.now() < until) await new Promise((r) => setTimeout(r, 200));
    expect(inspect()[1]).toBeGreaterThanOrEqual(1);
  });

  it('leaves nothing labelled with the run id after `down --run`', async () => {
    const down = await cli(['down', '--run', results!.runId], { cwd: dir });
    expect(down.code, down.stderr).toBe(0);
    expect(await leftovers({ runId: results!.runId })).toEqual(NOTHING);
  });
});

describe('build keys on a real engine: tags, dockerfile_inline, additional_contexts, a remote context', () => {
  const suite = uniqueSuite('compose-build-keys');
  const tag = `stackcheck-rk-${Math.random().toString(36).slice(2, 8)}`;
  const NPM_TOKEN = `npm-${Math.random().toString(36).slice(2)}`;
  const dir = workdir({
    'stackcheck.yml': `version: 1
name: ${suite}
topologies:
  t:
    compose: compose.yml
checks:
  - name: the inline Dockerfile's image runs, with both named contexts
    exec: { service: inline, command: [cat, /from-assets.txt, /from-outside.txt, /from-image] }
    expect: { exit: 0, stdout: "asset\\noutside\\nimage\\n" }
  - name: the image built from the remote context runs
    exec: { service: remote, command: [cat, /remote.txt] }
    expect: { exit: 0, stdout: "fetched by the engine\\n" }
`,
    'compose.yml': `services:
  inline:
    image: ${tag}:main
    init: true
    build:
      context: ./app
      tags: ["${tag}:extra", "${tag}-other:1"]
      additional_contexts:
        assets: ./app/assets
        outside: ./outside
        base: docker-image://${BUSYBOX}
      dockerfile_inline: |
        FROM base
        COPY --from=assets a.txt /from-assets.txt
        COPY --from=outside o.txt /from-outside.txt
        RUN echo image > /from-image
        CMD ["sleep", "3600"]
  withsecret:
    image: ${tag}:secret
    init: true
    command: [sleep, "3600"]
    build:
      context: ./app
      secrets: [npm_token, { source: sign_key, target: signing }]
      dockerfile_inline: |
        FROM ${BUSYBOX}
        RUN --mount=type=secret,id=npm_token --mount=type=secret,id=signing \\
            cat /run/secrets/npm_token /run/secrets/signing | sha256sum | cut -c1-64 > /secret-sum # ${tag}: BuildKit's cache ignores secrets
  fromservice:
    image: ${tag}:fromservice
    init: true
    command: [sleep, "3600"]
    build:
      context: ./app
      additional_contexts: { parent: "service:inline" }
      dockerfile_inline: |
        FROM parent
        RUN cat /from-image > /built-on-inline
  withssh:
    image: ${tag}:ssh
    init: true
    command: [sleep, "3600"]
    build:
      context: ./app
      ssh: [default]
      dockerfile_inline: |
        FROM stackcheck-fixture/node:1
        RUN --mount=type=ssh node -e "const s = require('net').connect(process.env.SSH_AUTH_SOCK); s.write(Buffer.from([0, 0, 0, 1, 11])); s.on('data', (d) => { console.log(d[4], d.readUInt32BE(5)); process.exit(0); })" > /agent-answer # ${tag}
  remote:
    image: ${tag}:remote
    build: \${REMOTE_CONTEXT}
    command: [sleep, "3600"]
    init: true
secrets:
  npm_token: { environment: RUNKEYS_NPM }
  sign_key: { file: ./sign.key }
`,
    'app/assets/a.txt': 'asset\n',
    'sign.key': 'signing-key-from-a-file\n',
    'outside/o.txt': 'outside\n',
  });
  let server: Server | undefined;
  let agentPid: number | undefined;
  let results: RunResults | undefined;
  let code: number | undefined;
  let output = '';

  beforeAll(async () => {
    // A remote context is fetched by the engine itself: serve one (a tar with a Dockerfile)
    // on the host's loopback, which the local dockerd reaches.
    mkdirSync(join(dir, 'remote-src'));
    writeFileSync(
      join(dir, 'remote-src', 'Dockerfile'),
      `FROM ${BUSYBOX}\nRUN echo fetched by the engine > /remote.txt\n`,
    );
    const tar = execFileSync('tar', ['-C', join(dir, 'remote-src'), '-c', '.']);
    server = createServer((_req, res) => res.end(tar));
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    // An ssh agent of this test's own, holding one key, for build.ssh: [default].
    const agent = execFileSync('ssh-agent', ['-s', '-a', join(dir, 'agent.sock')], {
      encoding: 'utf8',
    });
    agentPid = Number(/SSH_AGENT_PID=(\d+)/.exec(agent)![1]);
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'id')]);
    execFileSync('ssh-add', ['-q', join(dir, 'id')], {
      env: { ...process.env, SSH_AUTH_SOCK: join(dir, 'agent.sock') },
      stdio: 'ignore',
    });
    const r = await cli(['run', 'stackcheck.yml', '--keep', '--json', 'results.json'], {
      cwd: dir,
      env: {
        ...process.env,
        REMOTE_CONTEXT: `http://127.0.0.1:${port}/context.tar`,
        RUNKEYS_NPM: NPM_TOKEN,
        SSH_AUTH_SOCK: join(dir, 'agent.sock'),
      },
    });
    code = r.code ?? undefined;
    output = r.stdout + r.stderr;
    results = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as RunResults;
  }, 240_000);

  afterAll(async () => {
    server?.close();
    if (agentPid) process.kill(agentPid);
    for (const runId of new Set([...(results ? [results.runId] : []), ...runIdsOf(suite)]))
      await cli(['down', '--run', runId], {
        cwd: dir,
        env: { ...process.env, REMOTE_CONTEXT: '.' },
      });
    // Images this test built (stackcheck keeps built images, as compose does).
    execFileSync('sh', [
      '-c',
      `docker images --format '{{.Repository}}:{{.Tag}}' | grep '^${tag}' | xargs -r docker rmi -f >/dev/null`,
    ]);
  });

  it('builds and runs both, and their checks pass', () => {
    expect(code, output).toBe(0);
    expect(results!.checks.map((c) => c.status)).toEqual(['passed', 'passed']);
    expect(results!.topologies[0]!.services.map((s) => s.status).sort()).toEqual([
      'running',
      'running',
      'running',
      'running',
      'running',
    ]);
    // additional_contexts: service:inline builds on inline's image, built first.
    expect(docker('exec', `sc-${results!.runId}-t-fromservice-1`, 'cat', '/built-on-inline')).toBe(
      'image\n',
    );
  });

  it('passes build secrets (from the environment and from a file) through BuildKit, never into a report', () => {
    const sum = createHash('sha256').update(`${NPM_TOKEN}signing-key-from-a-file\n`).digest('hex');
    expect(docker('exec', `sc-${results!.runId}-t-withsecret-1`, 'cat', '/secret-sum').trim()).toBe(
      sum,
    );
    expect(output).not.toContain(NPM_TOKEN);
    expect(readFileSync(join(dir, 'results.json'), 'utf8')).not.toContain(NPM_TOKEN);
  });

  it("forwards the runner's ssh agent to RUN --mount=type=ssh through BuildKit", () => {
    // SSH2_AGENT_IDENTITIES_ANSWER (12) with the one key the agent holds.
    expect(docker('exec', `sc-${results!.runId}-t-withssh-1`, 'cat', '/agent-answer')).toBe(
      '12 1\n',
    );
  });

  it('gives the built image every tag of build.tags', () => {
    const id = (ref: string) => docker('image', 'inspect', '--format', '{{.Id}}', ref).trim();
    expect(id(`${tag}:extra`)).toBe(id(`${tag}:main`));
    expect(id(`${tag}-other:1`)).toBe(id(`${tag}:main`));
  });

  it('leaves nothing of the run behind after `down --run`', async () => {
    const down = await cli(['down', '--run', results!.runId], {
      cwd: dir,
      env: { ...process.env, REMOTE_CONTEXT: '.' },
    });
    expect(down.code, down.stderr).toBe(0);
    expect(await leftovers({ runId: results!.runId })).toEqual(NOTHING);
  });
});
