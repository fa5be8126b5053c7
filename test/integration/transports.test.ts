/**
 * One small suite through the real pipeline on the test bed's second machine
 * (scripts/second-engine.sh), once per transport that reaches it: tcp://, ssh:// (an identity
 * file, `docker system dial-stdio` on the far side) and Podman's Docker-compatible socket.
 * Each run brings the suite up there, checks it over http from the runner at the node's
 * address, and takes it down, leaving that engine's resource counts as they were. A transport
 * the machine cannot offer is reported skipped with the reason, never passed.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isUserError } from '../../src/common/errors.js';
import { DockerEngine } from '../../src/engine/docker.js';
import type { Engine, ResourceRef } from '../../src/engine/engine.js';
import { LABEL } from '../../src/common/labels.js';
import type { RunResults } from '../../src/model/results.js';
import { engine as local } from '../support/engine.js';
import { checksByName, runFiles } from '../support/run.js';
import { type Absent, secondEngine } from '../support/second-engine.js';

const IMAGE = 'stackcheck-fixture/busybox:1';
const bed = secondEngine();

interface Transport {
  name: string;
  /** The node's manifest entry, or why this machine cannot offer the transport. */
  node:
    { docker: string; address: string; identity?: string; hostKey?: string } | { absent: string };
}

function transports(): Transport[] {
  if (!bed.ok)
    return ['tcp', 'ssh', 'podman'].map((name) => ({ name, node: { absent: bed.reason } }));
  const { address } = bed;
  return [
    { name: 'tcp', node: { docker: bed.tcp, address } },
    {
      name: 'ssh',
      node: bed.ssh.ok
        ? { docker: bed.ssh.url, address, identity: bed.ssh.identity, hostKey: hostKey() }
        : { absent: bed.ssh.reason },
    },
    {
      name: 'podman',
      node: bed.podman.ok ? { docker: bed.podman.url, address } : { absent: bed.podman.reason },
    },
  ];
}

/** The bed's sshd host key, as a node's `hostKey:` pins it (its comment left out). */
function hostKey(): string {
  if (!bed.ok || !bed.ssh.ok) throw new Error('no ssh on the test bed');
  return readFileSync(bed.ssh.hostKey, 'utf8').split(' ').slice(0, 2).join(' ');
}

/** Two services, one depending on the other, and a check from the runner to a published port. */
function suiteFiles(node: {
  docker?: string;
  address?: string;
  identity?: string;
  hostKey?: string;
}) {
  const entry = Object.entries(node)
    .map(([k, v]) => `${k}: "${v}"`)
    .join(', ');
  return {
    'stackcheck.yml': `version: 1
name: {{SUITE}}
nodes:
  n2: { ${entry} }
topologies:
  shop:
    node: n2
    compose: compose.yml
    publish: ephemeral
    wait: { timeout: 30s }
checks:
  - name: web answers the runner
    http: { service: shop/web, port: 8080, path: /hostname }
    expect: { status: 200 }
`,
    // No healthchecks: Podman runs them from systemd timers, which this machine does not have.
    'compose.yml': `services:
  store:
    image: ${IMAGE}
    command: [sh, -c, "exec sleep 3600"]
    init: true
  web:
    image: ${IMAGE}
    command: [httpd, -f, -p, "8080", -h, /etc]
    init: true
    ports: ["8080"]
    depends_on: [store]
`,
  };
}

/** Everything on the engine, labelled or not. */
async function resources(e: Engine) {
  const [containers, networks, volumes] = await Promise.all([
    e.listContainers({}),
    e.listNetworks({}),
    e.listVolumes({}),
  ]);
  return { containers, networks, volumes };
}

/**
 * How many there are of each kind, leaving out other suites' (the test bed is shared: another
 * test file or a developer's run may come and go meanwhile). Unlabelled leftovers count.
 */
function counts(all: Awaited<ReturnType<typeof resources>>, suite: string) {
  const ours = (r: ResourceRef) => (r.labels[LABEL.suite] ?? suite) === suite;
  return {
    containers: all.containers.filter(ours).length,
    networks: all.networks.filter(ours).length,
    volumes: all.volumes.filter(ours).length,
  };
}

/** When the last service was up, from the run's start (connecting to the engine included). */
function bringUpMs(r: RunResults): number {
  return Math.max(
    ...r.topologies.flatMap((t) => t.services.map((s) => s.healthyMs ?? s.startedMs ?? NaN)),
  );
}

const timings: string[] = [];

describe('transports: one suite on the second engine over tcp, ssh and Podman', () => {
  afterAll(() => {
    // The figures for the note on #10: bring-up of the same suite per transport.
    if (timings.length)
      console.info(`bring-up (last service up, from the run's start):\n${timings.join('\n')}`);
  });

  it('local engine: the same suite, for comparison', async () => {
    const { results } = await runFiles(suiteFiles({ address: '127.0.0.1' }));
    expect(results.status, JSON.stringify(results.checks)).toBe('passed');
    timings.push(`  local  ${bringUpMs(results)} ms (run ${results.durationMs} ms)`);
  });

  for (const t of transports()) {
    it(`${t.name}: brings the suite up on the second engine, checks it from the runner, leaves nothing`, async (ctx) => {
      if ('absent' in t.node) return ctx.skip(`${t.name} is not available here: ${t.node.absent}`);
      const node = t.node;
      const target = new DockerEngine({
        node: 'n2',
        url: node.docker,
        identity: node.identity,
        hostKey: node.hostKey ? [node.hostKey] : undefined,
      });
      try {
        // The second machine has no registry and no images: give it the runner's, through the
        // Engine API of the transport under test.
        await target.loadImage(await local.saveImage(IMAGE));
        expect(await target.imageExists(IMAGE)).toBe(true);
        const before = await resources(target);

        const { results, suite } = await runFiles(suiteFiles(node));

        const failures = JSON.stringify(results.topologies.map((x) => x.failure));
        expect(
          results.topologies.map((x) => [x.name, x.node, x.status]),
          failures,
        ).toEqual([['shop', 'n2', 'passed']]);
        const check = checksByName(results)['web answers the runner']!;
        expect(check.status, check.message).toBe('passed');
        // The runner reached the port published on the second machine, at its address.
        expect(JSON.stringify(check.evidence)).toContain(node.address);
        expect(results.teardown).toMatchObject({ kept: false, containers: 2, errors: [] });
        expect(counts(await resources(target), suite)).toEqual(counts(before, suite));
        timings.push(
          `  ${t.name.padEnd(6)} ${bringUpMs(results)} ms (run ${results.durationMs} ms)`,
        );
      } finally {
        await target.close();
      }
    });
  }

  it("ssh: 40 requests at once, within sshd's 10 sessions per connection", async (ctx) => {
    if (!bed.ok || !bed.ssh.ok)
      return ctx.skip(
        `ssh is not available here: ${bed.ok ? (bed.ssh as Absent).reason : bed.reason}`,
      );
    const target = new DockerEngine({
      node: 'n2',
      url: bed.ssh.url,
      identity: bed.ssh.identity,
      hostKey: [hostKey()],
    });
    try {
      // Each request is one `docker system dial-stdio` channel; more than sshd allows on one
      // connection must spread over several.
      const lists = await Promise.all(Array.from({ length: 40 }, () => target.listContainers({})));
      expect(lists).toHaveLength(40);
      for (const l of lists) expect(Array.isArray(l)).toBe(true);
    } finally {
      await target.close();
    }
  });

  it('ssh: a key the engine does not accept, or cannot be read, fails preflight naming the node', async (ctx) => {
    if (!bed.ok || !bed.ssh.ok)
      return ctx.skip(
        `ssh is not available here: ${bed.ok ? (bed.ssh as Absent).reason : bed.reason}`,
      );
    const dir = mkdtempSync(join(tmpdir(), 'stackcheck-ssh-key-'));
    const stranger = join(dir, 'id_ed25519');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', stranger]);
    const node = { docker: bed.ssh.url, address: bed.address, hostKey: hostKey() };

    const refused = await runFiles(suiteFiles({ ...node, identity: stranger })).catch(
      (e: unknown) => e,
    );
    expect(isUserError(refused), String(refused)).toBe(true);
    expect((refused as Error).message).toContain(
      `the Docker engine of node "n2" (${bed.ssh.url}) does not answer: All configured authentication methods failed`,
    );

    const missing = await runFiles(suiteFiles({ ...node, identity: join(dir, 'nothing') })).catch(
      (e: unknown) => e,
    );
    expect(isUserError(missing), String(missing)).toBe(true);
    expect((missing as Error).message).toContain(
      `the ssh key file of node "n2" (${join(dir, 'nothing')}) cannot be read`,
    );
  });
});
