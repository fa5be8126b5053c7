/**
 * examples/two-machines (seed 000) on two real engines: the runner's own and the test bed's
 * second dockerd in its own network namespace (scripts/second-engine.sh), reached over tcp.
 * Cross-node checks, a node taken down and a partition between the nodes, broken variants
 * that fail at their manifest line, preflight of an unreachable node, and `stackcheck down`
 * after a SIGKILL with a cross-node partition in force.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerEngine } from '../../src/engine/docker.js';
import { CliProcess, cli, workdir } from '../support/cli.js';
import { leftovers, NOTHING } from '../support/engine.js';
import { runExample, scenariosByName, stepLines } from '../support/example.js';
import { useEnv } from '../support/env.js';
import { secondEngine, twoMachinesEnv } from '../support/second-engine.js';

const bed = secondEngine();
// The probe and fault images (vitest.config.ts) are on the runner only: PC2 gets them carried.
const PROBE = 'stackcheck-fixture/busybox:1';
const CARRIED = ['stackcheck-fixture/app:1', PROBE, 'stackcheck-fixture/nettools:1'];

describe.skipIf(!bed.ok)('two machines: the runner and a second engine over tcp', () => {
  const env = bed.ok ? twoMachinesEnv(bed) : {};
  useEnv(env);
  let pc2: DockerEngine;

  beforeAll(() => {
    pc2 = new DockerEngine({ node: 'pc2', url: bed.ok ? bed.tcp : undefined });
    // PC2 starts without the images (no registry can give them): the run must carry them there.
    if (bed.ok) spawnSync('docker', ['-H', bed.unix, 'rmi', '-f', ...CARRIED], { stdio: 'ignore' });
  });
  afterAll(() => pc2.close());

  it('passes: cross-node calls, a sync, load spread over both machines, PC2 down, the machines cut apart', async () => {
    const { results, dir } = await runExample('two-machines', {
      extraScenarios: `
- name: broken — a model on PC2 differs from the Main PC's after the sync
  steps:
    - check: { exec: { service: pc2/models, command: "echo 'weights v6' > /srv/models/vision.bin" } }
    - name: PC2 holds the Main PC's models
      check: { diff: { snapshot: models, left: main, right: pc2 } }
- name: broken — PC2's service cannot reach the Main PC's while the machines are cut apart
  steps:
    - partition: { nodes: [pc2, main] }
    - name: PC2 reaches the CPU fallback
      check:
        http: { from: pc2/gpu, service: main/cpu, port: 8080, path: /health }
        timeout: 2s
`,
    });
    const sc = scenariosByName(results);
    const brokenName =
      "broken — PC2's service cannot reach the Main PC's while the machines are cut apart";
    const differs = "broken — a model on PC2 differs from the Main PC's after the sync";
    for (const s of results.scenarios.filter((x) => ![brokenName, differs].includes(x.name)))
      expect(s.status, stepLines(s).join('\n')).toBe('passed');
    for (const c of results.checks) expect(c.status, `${c.name}: ${c.message}`).toBe('passed');
    for (const image of CARRIED) expect(await pc2.imageExists(image), image).toBe(true);
    expect(results.topologies.map((t) => [t.name, t.node, t.status])).toEqual([
      ['main', 'main', 'passed'],
      ['pc2', 'pc2', 'passed'],
    ]);
    // The reach matrix names the node of each end, and the published address across nodes.
    const matrix = results.checks.find((c) => c.kind === 'reach')!.evidence.matrix as {
      from: string;
      to: string;
      fromNode: string;
      toNode: string;
      via?: string;
    }[];
    const cell = matrix.find((m) => m.from === 'main/lb' && m.to === 'pc2/gpu:8080')!;
    expect(cell).toMatchObject({ fromNode: 'main', toNode: 'pc2' });
    expect(cell.via).toContain(`at ${bed.ok && bed.address}:50600`);
    expect(matrix.find((m) => m.from === 'pc2/gpu' && m.to === 'main/cpu:8080')!.via).toMatch(
      new RegExp(`at ${bed.ok && bed.peer}:\\d+$`),
    );
    // A file that differs after the sync fails the diff at its line, naming the file.
    const diff = sc[differs]!.steps[1]!;
    expect(diff.status).toBe('failed');
    expect(diff.message).toContain('srv/models/vision.bin');
    const lines = readFileSync(join(dir, 'stackcheck.yml'), 'utf8').split('\n');
    // A step's position is its action's key, on the line below its name.
    const lineOf = (name: string) => lines.findIndex((l) => l.includes(name)) + 2;
    expect(diff.source.line).toBe(lineOf("name: PC2 holds the Main PC's models"));
    // The broken variant fails at its check step, with the cut as the reason.
    const broken = sc[brokenName]!;
    expect(stepLines(broken)).toEqual([
      expect.stringMatching(/^partition: passed — cut node pc2 ↔ node main/),
      expect.stringMatching(/^PC2 reaches the CPU fallback: failed — /),
    ]);
    expect(broken.steps[1]!.source.line).toBe(lineOf('name: PC2 reaches the CPU fallback'));
    expect(await leftovers({ runId: results.runId })).toEqual(NOTHING);
    expect(await leftovers({ runId: results.runId }, pc2)).toEqual(NOTHING);
  });

  it('a port that collides across the machines fails the ports check at its line', async () => {
    const r = await cli(['validate', 'examples/two-machines/stackcheck.yml'], {
      env: { ...env, GPU_PORT: '50300' },
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^examples\/two-machines\/stackcheck\.yml:40:5: failed: no published port collides, on either machine or across them: .*50300/m,
    );
    expect(r.stderr).toMatch(/main\/models/);
    expect(r.stderr).toMatch(/pc2\/gpu/);
  });

  it('an unreachable node fails preflight at once, naming it, with nothing created anywhere', async () => {
    const dir = workdir({
      'stackcheck.yml': `version: 1
name: preflight
nodes:
  main: {}
  pc2: { docker: "tcp://${bed.ok && bed.address}:2399", address: "${bed.ok && bed.address}" }
topologies:
  a: { node: main, services: { web: { image: ${PROBE}, command: [sleep, "60"] } } }
  b: { node: pc2, services: { api: { image: ${PROBE}, command: [sleep, "60"] } } }
`,
    });
    const started = Date.now();
    const r = await cli(['run'], { cwd: dir });
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      `error: the Docker engine of node "pc2" (tcp://${bed.ok && bed.address}:2399) does not answer`,
    );
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(await leftovers({ suite: 'preflight' })).toEqual(NOTHING);
    expect(await leftovers({ suite: 'preflight' }, pc2)).toEqual(NOTHING);
  });

  it('after a SIGKILL with a cross-node partition in force, `stackcheck down` removes everything on both engines', async () => {
    const dir = workdir({
      'stackcheck.yml': `version: 1
name: sigkill-two-machines
nodes:
  main: { address: "${bed.ok && bed.peer}" }
  pc2: { docker: "${bed.ok && bed.tcp}", address: "${bed.ok && bed.address}" }
images: { carry: true }
topologies:
  front:
    node: main
    services: { web: { image: stackcheck-fixture/app:1, init: true, ports: ["8080"] } }
  back:
    node: pc2
    services: { api: { image: stackcheck-fixture/app:1, init: true, ports: ["8080"] } }
scenarios:
  - name: cut, then hang
    steps:
      - partition: { nodes: [main, pc2] }
      - sleep: 2m
`,
    });
    const suite = { suite: 'sigkill-two-machines' };
    expect([await leftovers(suite), await leftovers(suite, pc2)]).toEqual([NOTHING, NOTHING]);
    const run = new CliProcess(['run'], { cwd: dir });
    await run.waitFor(/passed\s+cut, then hang › partition/, 120_000);
    expect((await leftovers(suite, pc2)).containers).not.toEqual([]);
    run.child.kill('SIGKILL');
    await run.done;
    const down = await cli(['down'], { cwd: dir });
    expect(down.code).toBe(0);
    expect(down.stdout).toMatch(/node main: run \w+ \(suite sigkill-two-machines\): removed/);
    expect(down.stdout).toMatch(/node pc2: run \w+ \(suite sigkill-two-machines\): removed/);
    expect([await leftovers(suite), await leftovers(suite, pc2)]).toEqual([NOTHING, NOTHING]);
  });
});

// CI starts the test bed (scripts/test.sh): there, a missing bed fails instead of skipping.
if (process.env.CI && !bed.ok)
  describe('the test bed in CI', () => {
    it('has a second engine', () => {
      expect(bed.ok ? 'running' : bed.reason).toBe('running');
    });
  });
