import Docker from 'dockerode';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imageCacheKey } from '../../src/action/image-cache.js';
import { buildKey } from '../../src/orchestrator/image-cache.js';
import type { RunResults } from '../../src/model/results.js';
import { FakeCacheServer } from '../support/cache-server.js';
import { workdir } from '../support/cli.js';
import { leftovers, NOTHING, uniqueSuite } from '../support/engine.js';
import { newJob, runStep } from '../support/runner.js';

// The `image-cache` input as the runner runs it, against a v1 cache service (act_runner's
// built-in one, faked in support/cache-server.ts) and the real engine: the first job builds and
// saves, a second loads instead of building, a changed build input is another entry.

const docker = new Docker();
let server: FakeCacheServer;

beforeAll(async () => {
  server = await new FakeCacheServer().start();
});
afterAll(() => server.close());

function workspace(suite: string, topology: string) {
  return workdir({
    'stackcheck.yml': `version: 1
name: ${suite}
topologies:
  ${topology}:
    compose: compose.yml
    wait: { timeout: 60s }
`,
    'compose.yml': `services:
  store:
    build: ./store
    init: true
    healthcheck: { test: [CMD, wget, -qO-, "http://localhost:6379/ready"], interval: 300ms, retries: 100 }
`,
    'store/Dockerfile': `FROM stackcheck-fixture/busybox:1
COPY ready /www/ready
CMD ["httpd", "-f", "-p", "6379", "-h", "/www"]
`,
    'store/ready': 'ok\n',
  });
}

describe('the action with image-cache: true', () => {
  it('saves the built image, restores it in the next job instead of building, and misses on a changed input', async () => {
    const suite = uniqueSuite('imgcache');
    const topology = `t${suite.slice(-6)}`;
    const tag = `stackcheck-${topology}-store`;
    const ws = workspace(suite, topology);
    const key = () =>
      imageCacheKey(
        buildKey(tag, {
          context: join(ws, 'store'),
          dockerfile: 'Dockerfile',
          args: {},
          labels: {},
          pos: { file: '', line: 0, column: 0 },
        }),
      );
    // v1, as on Gitea: ACTIONS_CACHE_URL, no ACTIONS_CACHE_SERVICE_V2.
    const env = {
      ACTIONS_CACHE_URL: server.url,
      ACTIONS_RUNTIME_TOKEN: 'fake-token',
      ACTIONS_CACHE_SERVICE_V2: undefined,
    };
    const building = new RegExp(`${topology}/store {2}building`);
    try {
      const first = await runStep(newJob(ws), 'dist/index.js', { 'image-cache': 'true' }, env);
      expect(first.code, first.stdout + first.stderr).toBe(0);
      expect(first.stdout).toMatch(building);
      expect(first.stdout).toContain(`image cache: saved ${tag} as ${key()}`);
      expect(server.keys()).toEqual([key()]);
      expect(existsSync(join(ws, '.stackcheck-image-cache'))).toBe(false);
      const built = (await docker.getImage(tag).inspect()).Id;
      await docker.getImage(tag).remove({ force: true });

      const second = await runStep(newJob(ws), 'dist/index.js', { 'image-cache': 'true' }, env);
      expect(second.code, second.stdout + second.stderr).toBe(0);
      expect(second.stdout).not.toMatch(building);
      expect(second.stdout).toContain(`image cache: ${tag} for "store" restored`);
      // The very image the first job built (a rebuild would have another id), and nothing saved again.
      expect((await docker.getImage(tag).inspect()).Id).toBe(built);
      expect(server.calls.filter((c) => c === 'POST /_apis/artifactcache/caches')).toHaveLength(1);
      const results = JSON.parse(readFileSync(second.outputs.json!, 'utf8')) as RunResults;
      expect(results.status).toBe('passed');

      const before = key();
      writeFileSync(join(ws, 'store/ready'), 'ok, changed\n');
      expect(key()).not.toBe(before);
      const third = await runStep(newJob(ws), 'dist/index.js', { 'image-cache': 'true' }, env);
      expect(third.code, third.stdout + third.stderr).toBe(0);
      expect(third.stdout).toContain(`image cache: ${tag} is not in the cache (${key()})`);
      expect(third.stdout).toMatch(building);
      expect(server.keys()).toEqual([before, key()]);
      expect(await leftovers({ suite })).toEqual(NOTHING);
    } finally {
      await docker
        .getImage(tag)
        .remove({ force: true })
        .catch(() => undefined);
    }
  });

  it('says so and builds where the runner has no cache service', async () => {
    const suite = uniqueSuite('imgcache');
    const topology = `t${suite.slice(-6)}`;
    const tag = `stackcheck-${topology}-store`;
    try {
      const job = newJob(workspace(suite, topology));
      const step = await runStep(
        job,
        'dist/index.js',
        { 'image-cache': 'true' },
        {
          ACTIONS_CACHE_URL: undefined,
          ACTIONS_RESULTS_URL: undefined,
        },
      );
      expect(step.code, step.stdout + step.stderr).toBe(0);
      expect(step.stdout).toContain('image cache: this runner has no cache service');
      expect(step.stdout).toMatch(new RegExp(`${topology}/store {2}building`));
    } finally {
      await docker
        .getImage(tag)
        .remove({ force: true })
        .catch(() => undefined);
    }
  });
});
