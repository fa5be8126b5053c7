/**
 * An engine that restarts mid-run (`systemctl restart docker`, a daemon upgrade): the run names
 * the engine that stopped answering and when, waits for it to come back, and then removes
 * everything it created, without a manual `stackcheck down`. On a throwaway dockerd of its own
 * (test/support/private-dockerd.ts), never the machine's or the test bed's engines.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerEngine } from '../../src/engine/docker.js';
import { LABEL } from '../../src/common/labels.js';
import { CliProcess, workdir } from '../support/cli.js';
import { uniqueSuite } from '../support/engine.js';
import { PrivateDockerd } from '../support/private-dockerd.js';

const IMAGE = 'stackcheck-fixture/busybox:1';

describe('an engine restarted during bring-up', () => {
  const dockerd = new PrivateDockerd();
  let engine: DockerEngine;

  beforeAll(async () => {
    await dockerd.start();
    engine = new DockerEngine({ node: 'private', url: dockerd.url });
    const local = new DockerEngine({ node: 'local', url: 'unix:///var/run/docker.sock' });
    await engine.loadImage(await local.saveImage(IMAGE));
    await local.close();
  });

  afterAll(async () => {
    await engine?.close();
    await dockerd.remove();
  });

  it('names the engine and when it stopped answering, waits for it, and leaves nothing', async () => {
    const suite = uniqueSuite('restart');
    const dir = workdir({
      'stackcheck.yml': `version: 1\nname: ${suite}\ntopologies:\n  main:\n    compose: compose.yml\n`,
      // `slow` turns healthy only after 20 s: the restart lands while the run waits for it.
      'compose.yml': `services:
  slow:
    image: ${IMAGE}
    command: ["sh", "-c", "sleep 20; touch /tmp/ok; sleep 600"]
    healthcheck:
      test: ["CMD", "test", "-f", "/tmp/ok"]
      interval: 500ms
      start_period: 60s
  app:
    image: ${IMAGE}
    command: ["sleep", "600"]
    depends_on:
      slow:
        condition: service_healthy
`,
    });
    const run = new CliProcess(['run', 'stackcheck.yml'], {
      cwd: dir,
      env: { DOCKER_HOST: dockerd.url },
    });
    // Restart once the run waits for `slow` to turn healthy (a short poll of the engine).
    const filter = { [LABEL.suite]: suite };
    for (let i = 0; ; i++) {
      const [slow] = await engine.listContainers(filter);
      if (slow && (await engine.inspectContainer(slow.id)).running) break;
      if (i > 600) throw new Error(`no container of the run came up:\n${run.stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    await dockerd.restart();
    const r = await run.done;

    expect(r.stderr).toMatch(
      new RegExp(
        `the engine of node "local" \\(${dockerd.url.replace(/[/.]/g, '\\$&')}\\) stopped answering [\\d.]+ s into the run`,
      ),
    );
    expect(r.stderr).toMatch(
      /the engine of node "local" answers again after [\d.]+ s: tearing down/,
    );
    // Whether the stack survives depends on what the daemon did with its containers while it
    // restarted (stopped them, or they outlived it): a failed run (1) or a passed one (0) are both
    // right; a crash or an input error are not.
    expect([0, 1], r.stderr).toContain(r.code);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    const [containers, networks, volumes] = await Promise.all([
      engine.listContainers(filter),
      engine.listNetworks(filter),
      engine.listVolumes(filter),
    ]);
    expect({ containers, networks, volumes }, r.stderr).toEqual({
      containers: [],
      networks: [],
      volumes: [],
    });
  });
});
