/**
 * A host port held by another process is the user's to fix on every engine: exit 2, the
 * compose line of the port, the `publish: ephemeral` hint, nothing left behind. Docker 28 binds
 * published ports in the daemon and words the refusal differently from 20.10 and Podman; the
 * engine layer reads the wording, the orchestrator only the reason.
 */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { DockerEngine } from '../../src/engine/docker.js';
import { LABEL } from '../../src/common/labels.js';
import { CLI, workdir } from '../support/cli.js';
import { holdPort } from '../support/hold-port.js';
import { inEngineNetns, testEngines, type TestEngine } from '../support/engines.js';
import { uniqueSuite } from '../support/engine.js';

const IMAGE = 'stackcheck-fixture/busybox:1';

/** Runs the built CLI where the engine binds its ports (its netns), talking to that engine. */
function runCli(args: string[], cwd: string, t: TestEngine) {
  const argv = inEngineNetns(t, [process.execPath, CLI, ...args]);
  const child = spawn(argv[0]!, argv.slice(1), {
    cwd,
    env: { ...process.env, DOCKER_HOST: t.dockerHost },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((r) =>
    child.on('close', (code) => r({ code, stdout, stderr })),
  );
}

describe.each(testEngines())('a published port already taken: $name', (t) => {
  it('is exit 2 at the compose line with the publish: ephemeral hint, and leaves nothing', async () => {
    const engine = new DockerEngine({ node: t.name, url: t.dockerHost });
    await engine.info();
    if (!(await engine.imageExists(IMAGE))) {
      const local = new DockerEngine({ node: 'local', url: 'unix:///var/run/docker.sock' });
      await engine.loadImage(await local.saveImage(IMAGE));
      await local.close();
    }
    const port = 41_000 + Math.floor(Math.random() * 8_000);
    const release = await holdPort(port, t);
    const suite = uniqueSuite('taken');
    try {
      const dir = workdir({
        'stackcheck.yml': `version: 1\nname: ${suite}\ntopologies:\n  main:\n    compose: compose.yml\n`,
        'compose.yml': `services:\n  web:\n    image: ${IMAGE}\n    ports:\n      - "${port}:8080"\n    command: ["sleep", "60"]\n`,
      });
      const r = await runCli(['run', 'stackcheck.yml'], dir, t);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain(
        `compose.yml:5:9: host port ${port} for service "web" is already in use on node "local"`,
      );
      expect(r.stderr).toContain('publish: ephemeral');
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(await engine.listContainers({ [LABEL.suite]: suite })).toEqual([]);
      expect(await engine.listNetworks({ [LABEL.suite]: suite })).toEqual([]);
    } finally {
      release();
      await engine.close();
    }
  });
});
