import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunResults } from '../../src/model/results.js';
import { cli, CliProcess, workdir } from '../support/cli.js';
import { leftovers, NOTHING, uniqueSuite } from '../support/engine.js';

const APP = 'stackcheck-fixture/app:1';

/**
 * A topology whose "slow" service takes a minute to become healthy: runs stay in bring-up.
 * Its port is published on an ephemeral host port, or on `hostPort`.
 */
function slowSuite(suite: string, hostPort?: number) {
  const publish = hostPort === undefined ? '    publish: ephemeral\n' : '';
  return workdir({
    'stackcheck.yml': `version: 1\nname: ${suite}\ntopologies:\n  main:\n    compose: compose.yml\n${publish}`,
    'compose.yml': `services:
  db: { image: ${APP}, init: true, volumes: [data:/data], healthcheck: { test: [CMD, wget, -qO-, "http://localhost:8080/health"], interval: 300ms } }
  slow:
    image: ${APP}
    init: true
    environment: { HEALTHY_AFTER: "60000" }
    ports: ["${hostPort === undefined ? '' : `${hostPort}:`}8080"]
    depends_on: { db: { condition: service_healthy } }
    healthcheck: { test: [CMD, wget, -qO-, "http://localhost:8080/health"], interval: 300ms, retries: 1000 }
volumes:
  data: {}
`,
  });
}

/** A host port nothing listens on now. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer().listen(0, () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

function runIdOf(stderr: string): string {
  const m = /run ([0-9a-f]{8}):/.exec(stderr);
  if (!m) throw new Error(`no run id in:\n${stderr}`);
  return m[1]!;
}

describe('cancellation, crashes and concurrent runs', () => {
  it('SIGINT in the middle of bring-up tears everything down and exits 130', async () => {
    const suite = uniqueSuite('sigint');
    const p = new CliProcess(['run', 'stackcheck.yml', '--verbose'], { cwd: slowSuite(suite) });
    await p.waitFor(/main\/slow +started/);
    const live = await leftovers({ suite });
    expect(live.containers).toHaveLength(2);
    expect(live.volumes).toHaveLength(1);
    p.child.kill('SIGINT');
    const r = await p.done;
    expect(r.code).toBe(130);
    expect(r.stderr).toContain('interrupted by SIGINT');
    expect(await leftovers({ suite })).toEqual(NOTHING);
  });

  it('SIGTERM does the same and exits 143', async () => {
    const suite = uniqueSuite('sigterm');
    const p = new CliProcess(['run', 'stackcheck.yml', '--verbose'], { cwd: slowSuite(suite) });
    await p.waitFor(/main\/db +started/);
    p.child.kill('SIGTERM');
    const r = await p.done;
    expect(r.code).toBe(143);
    expect(await leftovers({ suite })).toEqual(NOTHING);
  });

  it('a reader that goes away (`stackcheck run | head`) stops the run, which tears down and exits 141', async () => {
    const suite = uniqueSuite('sigpipe');
    const p = new CliProcess(['run', 'stackcheck.yml', '--verbose'], { cwd: slowSuite(suite) });
    await p.waitFor(/main\/db +started/);
    expect((await leftovers({ suite })).containers.length).toBeGreaterThan(0);
    // As `head` does once it has its lines: the next progress line meets a closed pipe.
    p.child.stdout!.destroy();
    p.child.stderr!.destroy();
    const r = await p.done;
    expect(r.code).toBe(141);
    expect(await leftovers({ suite })).toEqual(NOTHING);
  });

  it('after a SIGKILL, `stackcheck down` removes what the dead run left', async () => {
    const suite = uniqueSuite('sigkill-down');
    const dir = slowSuite(suite);
    const p = new CliProcess(['run', 'stackcheck.yml', '--verbose'], { cwd: dir });
    await p.waitFor(/main\/slow +started/);
    p.child.kill('SIGKILL');
    await p.done;
    const left = await leftovers({ suite });
    expect(left.containers).toHaveLength(2);
    const down = await cli(['down'], { cwd: dir });
    expect(down.code, down.stderr).toBe(0);
    expect(down.stdout).toMatch(
      new RegExp(
        `run ${runIdOf(p.stderr)} \\(suite ${suite}\\): removed 2 containers, 1 networks, 1 volumes`,
      ),
    );
    expect(await leftovers({ suite })).toEqual(NOTHING);
  });

  it('after a SIGKILL, the next run sweeps what the dead run left before its own containers start', async () => {
    // The dead run holds a host port that the next run publishes too: the next run creates
    // while it sweeps, but starts only once the sweep has freed the port.
    const hostPort = await freePort();
    const suite = uniqueSuite('sigkill-next');
    const dir = slowSuite(suite, hostPort);
    const p = new CliProcess(['run', 'stackcheck.yml', '--verbose'], { cwd: dir });
    await p.waitFor(/main\/db +started/);
    p.child.kill('SIGKILL');
    await p.done;
    const dead = runIdOf(p.stderr);
    expect((await leftovers({ runId: dead })).containers.length).toBeGreaterThan(0);

    const quick = workdir({
      'stackcheck.yml': `version: 1\nname: ${uniqueSuite('sweeper')}\ntopologies:\n  t:\n    services:\n      one: { image: ${APP}, ports: ["${hostPort}:8080"] }\n`,
    });
    const next = await cli(['run', 'stackcheck.yml'], { cwd: quick });
    expect(next.code, next.stderr).toBe(0);
    expect(next.stderr).toContain(`removed what stale run ${dead} (suite ${suite})`);
    expect(await leftovers({ runId: dead })).toEqual(NOTHING);
  });

  it('two concurrent runs of one manifest are isolated, and `down --run` touches only its own', async () => {
    const suite = uniqueSuite('twins');
    const dir = workdir({
      'stackcheck.yml': `version: 1\nname: ${suite}\ntopologies:\n  main:\n    compose: compose.yml\n    publish: ephemeral\n`,
      'compose.yml': `services:
  db: { image: ${APP}, init: true, volumes: [data:/data], healthcheck: { test: [CMD, wget, -qO-, "http://localhost:8080/health"], interval: 300ms } }
  web: { image: ${APP}, ports: ["8080"], depends_on: { db: { condition: service_healthy } } }
volumes:
  data: {}
`,
    });
    const [a, b] = await Promise.all([
      cli(['run', 'stackcheck.yml', '--keep', '--json', 'a.json'], { cwd: dir }),
      cli(['run', 'stackcheck.yml', '--keep', '--json', 'b.json'], { cwd: dir }),
    ]);
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);
    const ra = JSON.parse(readFileSync(join(dir, 'a.json'), 'utf8')) as RunResults;
    const rb = JSON.parse(readFileSync(join(dir, 'b.json'), 'utf8')) as RunResults;
    expect(ra.runId).not.toBe(rb.runId);
    const la = await leftovers({ runId: ra.runId });
    const lb = await leftovers({ runId: rb.runId });
    expect(la.containers).toHaveLength(2);
    expect(lb.containers).toHaveLength(2);
    expect(la.containers.filter((c) => lb.containers.includes(c))).toEqual([]);
    expect(la.volumes.filter((v) => lb.volumes.includes(v))).toEqual([]);

    // Kept runs are not stale: a plain `down` leaves them alone.
    await cli(['down'], { cwd: dir });
    expect((await leftovers({ runId: ra.runId })).containers).toHaveLength(2);

    const downA = await cli(['down', '--run', ra.runId], { cwd: dir });
    expect(downA.code, downA.stderr).toBe(0);
    expect(await leftovers({ runId: ra.runId })).toEqual(NOTHING);
    expect(await leftovers({ runId: rb.runId })).toEqual(lb);
    await cli(['down', '--run', rb.runId], { cwd: dir });
    expect(await leftovers({ suite })).toEqual(NOTHING);
  });
});
