import Docker from 'dockerode';
import { appendFileSync, cpSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { RunResults } from '../../src/model/results.js';
import { CLI } from '../support/cli.js';
import { leftovers, NOTHING } from '../support/engine.js';

// A containerized job as GitHub's `container:` and act_runner's Docker mode run it: the CLI
// inside a container of the engine, with the engine's socket mounted. 127.0.0.1 there is the
// container's own loopback; the run must find the published ports at the engine's host.

const docker = new Docker();
const IMAGE = 'stackcheck-fixture/node:1';
// The socket of the engine the test runs on (DOCKER_HOST's where it names one), not always
// the default one: mounting another engine's socket would run the job against that engine.
const SOCKET = /^unix:\/\/(.+)$/.exec(process.env.DOCKER_HOST ?? '')?.[1] ?? '/var/run/docker.sock';

async function runInContainer(workdir: string, env: string[] = []) {
  const container = await docker.createContainer({
    Image: IMAGE,
    Cmd: ['node', '/stackcheck/cli.js', 'run', '--json', 'results.json'],
    WorkingDir: '/work',
    Env: env,
    HostConfig: {
      Binds: [
        `${dirname(CLI)}:/stackcheck:ro`,
        `${workdir}:/work`,
        `${SOCKET}:/var/run/docker.sock`,
      ],
    },
  });
  try {
    const out = new PassThrough();
    let log = '';
    out.on('data', (d: Buffer) => (log += d.toString()));
    const stream = await container.attach({ stream: true, stdout: true, stderr: true });
    container.modem.demuxStream(stream, out, out);
    await container.start();
    const { StatusCode } = (await container.wait()) as { StatusCode: number };
    return { code: StatusCode, log };
  } finally {
    await container.remove({ force: true });
  }
}

/** A copy of the quickstart with one check from the runner: what needs the address. */
function quickstartWithCheck(): string {
  const dir = mkdtempSync(join(tmpdir(), 'stackcheck-in-container-'));
  cpSync(resolve('examples/quickstart'), dir, { recursive: true });
  appendFileSync(
    join(dir, 'stackcheck.yml'),
    [
      'checks:',
      '  - name: web answers at its published port',
      '    http: { service: shop/web, port: 8080, path: /health }',
      '    expect: { status: 200, json: { ok: true } }',
      '',
    ].join('\n'),
  );
  return dir;
}

describe('the CLI inside a container of the engine, with its socket mounted', () => {
  it('passes the quickstart, reaching published ports at the gateway', async () => {
    const dir = quickstartWithCheck();
    const { code, log } = await runInContainer(dir);
    expect(code, log).toBe(0);
    expect(log).toMatch(/this job runs in container [0-9a-f]{12} of the node's engine/);
    const results = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as RunResults;
    expect(results.status).toBe('passed');
    expect(results.checks).toEqual([
      expect.objectContaining({
        status: 'passed',
        evidence: expect.objectContaining({ request: expect.not.stringContaining('127.0.0.1') }),
      }),
    ]);
    expect(await leftovers({ runId: results.runId })).toEqual(NOTHING);
  }, 240_000);

  it('takes an address set by hand (STACKCHECK_HOST): 127.0.0.1, the old default, fails there', async () => {
    const dir = quickstartWithCheck();
    const { code, log } = await runInContainer(dir, ['STACKCHECK_HOST=127.0.0.1']);
    expect(code, log).toBe(1);
    expect(log).toContain('published ports are reached at 127.0.0.1 (STACKCHECK_HOST)');
    expect(log).toMatch(/no answer from http:\/\/127\.0\.0\.1:\d+\/health: ECONNREFUSED/);
    const results = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as RunResults;
    expect(await leftovers({ runId: results.runId })).toEqual(NOTHING);
  }, 240_000);
});
