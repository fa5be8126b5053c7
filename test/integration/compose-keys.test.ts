import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunResults } from '../../src/model/results.js';
import { LABEL } from '../../src/common/labels.js';
import { cli, workdir } from '../support/cli.js';
import { leftovers, NOTHING, uniqueSuite } from '../support/engine.js';

const BUSYBOX = 'stackcheck-fixture/busybox:1';

/** What `docker inspect` says about a container: the parts these tests read. */
interface Inspected {
  Name: string;
  Config: { Env: string[]; Labels: Record<string, string> };
  HostConfig: Record<string, unknown>;
  Mounts: { Type: string; Source: string; Destination: string; RW: boolean }[];
}

function docker(...args: string[]): string {
  return execFileSync('docker', args, { encoding: 'utf8' });
}

/** Run ids of everything still labelled with this suite: what afterAll must remove. */
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

describe('compose keys realised on a real engine', () => {
  const suite = uniqueSuite('compose-keys');
  const dir = workdir({
    'stackcheck.yml': `version: 1\nname: ${suite}\ntopologies:\n  t:\n    compose: compose.yml\n    publish: ephemeral\n`,
    'compose.yml': `services:
  db:
    image: ${BUSYBOX}
    command: [sleep, "3600"]
    init: true
  app:
    extends:
      file: base/common.yml
      service: base
    mem_limit: 64m
    cpus: 0.5
    pids_limit: 100
    logging:
      driver: json-file
      options:
        max-size: 1m
        max-file: "2"
    dns_search: [corp.example]
    group_add: ["4321"]
    secrets: [api_token]
    configs:
      - source: app_conf
        target: /etc/app/app.conf
    links: ["db:database"]
secrets:
  api_token:
    file: ./token.txt
configs:
  app_conf:
    file: ./app.conf
`,
    'base/common.yml': `services:
  base:
    image: ${BUSYBOX}
    command: [sleep, "3600"]
    init: true
    environment:
      FROM_BASE: "yes"
    labels:
      com.example.base: "true"
    volumes:
      - ./shared:/shared:ro
`,
    'base/shared/hello.txt': 'from the base folder\n',
    'token.txt': 's3cret-token\n',
    'app.conf': 'mode=test\n',
  });
  let results: RunResults | undefined;
  let app: Inspected;
  let appName: string;

  beforeAll(async () => {
    const r = await cli(['run', 'stackcheck.yml', '--keep', '--json', 'results.json'], {
      cwd: dir,
    });
    expect(r.code, r.stderr).toBe(0);
    results = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as RunResults;
    appName = `sc-${results.runId}-t-app-1`;
    app = (JSON.parse(docker('inspect', appName)) as Inspected[])[0]!;
  });

  afterAll(async () => {
    // Whatever happened above, nothing of this suite stays on the engine.
    for (const runId of new Set([...(results ? [results.runId] : []), ...runIdsOf(suite)]))
      await cli(['down', '--run', runId], { cwd: dir });
  });

  it('sets the resource limits and the logging driver', () => {
    expect(app.HostConfig).toMatchObject({
      Memory: 64 * 1024 * 1024,
      NanoCpus: 500_000_000,
      PidsLimit: 100,
      LogConfig: { Type: 'json-file', Config: { 'max-size': '1m', 'max-file': '2' } },
    });
  });

  it('sets DNS search domains and extra groups', () => {
    expect(app.HostConfig).toMatchObject({ DnsSearch: ['corp.example'], GroupAdd: ['4321'] });
    expect(docker('exec', appName, 'id', '-G').trim().split(' ')).toContain('4321');
    expect(docker('exec', appName, 'cat', '/etc/resolv.conf')).toMatch(/search .*corp\.example/);
  });

  it('mounts the secret and the config read-only, with their content', () => {
    const mounts = Object.fromEntries(app.Mounts.map((m) => [m.Destination, m]));
    expect(mounts['/run/secrets/api_token']).toMatchObject({
      Type: 'bind',
      Source: join(dir, 'token.txt'),
      RW: false,
    });
    expect(mounts['/etc/app/app.conf']).toMatchObject({
      Type: 'bind',
      Source: join(dir, 'app.conf'),
      RW: false,
    });
    expect(docker('exec', appName, 'cat', '/run/secrets/api_token')).toBe('s3cret-token\n');
    expect(docker('exec', appName, 'cat', '/etc/app/app.conf')).toBe('mode=test\n');
  });

  it('inherits from the extended file, with its relative paths resolved from its folder', () => {
    expect(app.Config.Env).toContain('FROM_BASE=yes');
    expect(app.Config.Labels['com.example.base']).toBe('true');
    expect(docker('exec', appName, 'cat', '/shared/hello.txt')).toBe('from the base folder\n');
  });

  it('starts a linked service first', () => {
    const svc = Object.fromEntries(results!.topologies[0]!.services.map((s) => [s.name, s]));
    expect(svc.app!.startedMs!).toBeGreaterThanOrEqual(svc.db!.startedMs!);
  });

  it('leaves nothing labelled with the run id after `down --run`', async () => {
    const down = await cli(['down', '--run', results!.runId], { cwd: dir });
    expect(down.code, down.stderr).toBe(0);
    expect(await leftovers({ runId: results!.runId })).toEqual(NOTHING);
  });
});
