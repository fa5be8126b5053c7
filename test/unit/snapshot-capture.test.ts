import { describe, expect, it } from 'vitest';
import { Runtime } from '../../src/live/runtime.js';
import type { Replica } from '../../src/model/refs.js';
import { UserError, type Problem } from '../../src/common/errors.js';
import { FakeEngine } from '../../src/engine/fake.js';
import { loadSuite } from '../../src/manifest/load.js';
import { LABEL } from '../../src/common/labels.js';
import { takeSnapshot } from '../../src/snapshot/capture.js';
import { diffSnapshots } from '../../src/snapshot/diff.js';
import { readTree } from '../../src/snapshot/files.js';
import type { SnapshotSpec } from '../../src/model/suite.js';
import { workdir } from '../support/cli.js';
import { service, suite as suiteOf, topology } from '../support/specs.js';

const spec = (over: Partial<SnapshotSpec> = {}): SnapshotSpec => ({
  name: 'data',
  files: [{ path: '/data' }],
  commands: [],
  http: [],
  config: ['image', 'env'],
  ignore: [],
  limits: { files: 100, bytes: 1 << 20, output: 1024 },
  pos: { file: 'x', line: 1, column: 1 },
  ...over,
});

/** Two nodes, each running service `api` of its own topology, on its own fake engine. */
async function twoNodes(env: Record<string, Record<string, string>>) {
  const labels = { [LABEL.run]: 'abcd1234', [LABEL.suite]: 'unit' };
  const engines = new Map<string, FakeEngine>();
  const replicas: Replica[] = [];
  const topologies = [];
  for (const node of ['main', 'pc2']) {
    const engine = new FakeEngine({ node, images: ['app:1'] });
    const t = `app_${node}`;
    topologies.push({
      ...topology(t, [service('api', { image: 'app:1', environment: env[node] ?? {} })]),
      node,
    });
    const name = `sc-abcd1234-${t}-api-1`;
    const id = await engine.createContainer({
      name,
      image: 'app:1',
      service: service('api', { image: 'app:1', environment: env[node] ?? {} }),
      labels: { ...labels, [LABEL.topology]: t, [LABEL.service]: 'api' },
      networks: [],
      volumeNames: {},
      ephemeralPorts: false,
    });
    await engine.startContainer(id);
    engines.set(node, engine);
    replicas.push({
      topology: t,
      service: 'api',
      node,
      containerId: id,
      containerName: name,
      index: 1,
    });
  }
  const suite = {
    ...suiteOf(topologies),
    nodes: { main: { name: 'main', labels: [] }, pc2: { name: 'pc2', labels: [] } },
    secrets: ['s3cr3t-value-main'],
  };
  const rt = new Runtime(suite, engines, replicas, labels, 'probe:1');
  return { rt, engines, main: engines.get('main')!, pc2: engines.get('pc2')! };
}

describe('snapshots on the fake engine', () => {
  it('line up the same service on two nodes by its name, and diff them', async () => {
    const { rt, main, pc2 } = await twoNodes({
      main: { MODE: 'prod', DB_PASSWORD: 's3cr3t-value-main' },
      pc2: { MODE: 'prod', DB_PASSWORD: 's3cr3t-value-pc2' },
    });
    const c = (e: FakeEngine) => e.containers()[0]!.name;
    main.writeFile(c(main), '/data/models/a.bin', 'weights');
    main.writeFile(c(main), '/data/models/b.bin', 'more weights', 0o600);
    pc2.writeFile(c(pc2), '/data/models/a.bin', 'weights');
    pc2.writeFile(c(pc2), '/data/models/b.bin', 'stale weights', 0o600);

    const left = await takeSnapshot(spec(), { node: 'main' }, rt);
    const right = await takeSnapshot(spec(), { node: 'pc2' }, rt);
    expect(left.subject).toBe('node main');
    expect(left.incomplete).toEqual([]);
    expect(left.entries['api/files/data/models/b.bin']).toEqual({
      type: 'file',
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
      size: 12,
      mode: '0600',
    });
    expect(left.entries['api/files/data/models']).toEqual({ type: 'dir', mode: '0755' });
    expect(JSON.stringify(left)).not.toContain('s3cr3t-value-main');
    expect(diffSnapshots(left, right)).toEqual([
      { key: 'api/env/DB_PASSWORD', left: '(secret)', right: '(secret)' },
      {
        key: 'api/files/data/models/b.bin',
        field: 'sha256',
        left: expect.any(String),
        right: expect.any(String),
      },
      { key: 'api/files/data/models/b.bin', field: 'size', left: '12', right: '13' },
    ]);
    expect(diffSnapshots(left, right, ['*/env/**', '**/b.bin'])).toEqual([]);
  });

  it('records an absent path, and marks a tree past its limits incomplete', async () => {
    const { rt, main } = await twoNodes({});
    const id = main.containers()[0]!.id;
    for (let i = 0; i < 5; i++) main.writeFile(id, `/data/f${i}`, 'x'.repeat(10));
    expect(await readTree(main, id, '/nowhere', { files: 10, bytes: 1000 })).toEqual({
      entries: { '/nowhere': { type: 'absent' } },
    });
    const files = await readTree(main, id, '/data', { files: 3, bytes: 1000 });
    expect(files.incomplete).toBe('/data: more than 3 files (limits.files)');
    expect(Object.keys(files.entries).filter((k) => k.startsWith('/data/f'))).toHaveLength(3);
    const bytes = await readTree(main, id, '/data', { files: 10, bytes: 25 });
    expect(bytes.incomplete).toBe('/data: more than 25 bytes (limits.bytes)');
    // A single file is its own path.
    expect(
      Object.keys((await readTree(main, id, '/data/f1', { files: 1, bytes: 100 })).entries),
    ).toEqual(['/data/f1']);

    const s = await takeSnapshot(
      spec({ limits: { files: 2, bytes: 1000, output: 10 } }),
      { topology: 'app_main', service: 'api' },
      rt,
    );
    expect(s.incomplete).toEqual([
      expect.stringMatching(/-api-1 \/data: more than 2 files \(limits\.files\)$/),
    ]);
  });

  it('keeps command output masked and cut, with digests that still tell outputs apart', async () => {
    const { rt, main } = await twoNodes({});
    main.onExec((_c, req) => ({
      exitCode: 0,
      stdout: `${req.cmd.at(-1)} s3cr3t-value-main ${'y'.repeat(50)}`,
      stderr: '',
    }));
    const snap = (arg: string) =>
      takeSnapshot(
        spec({
          files: [],
          config: [],
          commands: [{ name: 'sums', command: ['echo', arg] }],
          limits: { files: 1, bytes: 1, output: 10 },
        }),
        { topology: 'app_main', service: 'api' },
        rt,
      );
    const a = await snap('one');
    const value = a.entries['commands/sums'] as Record<string, unknown>;
    expect(value.stdout).toBe('one *** yy');
    expect(value.stdoutSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(value.stdoutSecrets).toEqual({ secret: true, digest: expect.any(String) });
    expect(JSON.stringify(a)).not.toContain('s3cr3t-value-main');
    expect(diffSnapshots(a, await snap('one'))).toEqual([]);
    expect(diffSnapshots(a, await snap('two')).map((d) => d.field)).toEqual([
      'stdout',
      'stdoutSecrets',
      'stdoutSha256',
    ]);
  });
});

function problems(manifest: string): Problem[] {
  const dir = workdir({ 'stackcheck.yml': manifest });
  try {
    loadSuite(`${dir}/stackcheck.yml`, { env: {} });
  } catch (e) {
    if (e instanceof UserError)
      return e.problems.map((p) => ({ ...p, pos: p.pos && { ...p.pos, file: 'm' } }));
    throw e;
  }
  throw new Error('expected the manifest to be rejected');
}

describe('loading snapshots', () => {
  const head = `version: 1
name: s
nodes: { main: {}, api: {} }
topologies:
  t:
    node: main
    services:
      api: { image: app:1 }
      web: { image: app:1 }
`;

  it('loads them with their defaults', () => {
    const dir = workdir({
      'stackcheck.yml': `${head}snapshots:\n  data: { of: [main, t/web], files: [/data], commands: [{ command: "ls /" }] }\n`,
    });
    const s = loadSuite(`${dir}/stackcheck.yml`, { env: {} });
    expect(s.snapshots!.data).toMatchObject({
      of: ['main', 't/web'],
      files: [{ path: '/data' }],
      commands: [{ name: '0', command: ['sh', '-c', 'ls /'] }],
      config: ['image', 'env', 'mounts', 'ports', 'user'],
      limits: { files: 10000, bytes: 256 * 1024 * 1024, output: 64 * 1024 },
    });
  });

  it('reports a path that is not absolute at its line', () => {
    expect(problems(`${head}snapshots:\n  data: { files: [data] }\n`)).toEqual([
      expect.objectContaining({
        message: 'snapshots.data.files.0: an absolute path in the container, like /data/models',
        pos: { file: 'm', line: 11, column: 19 },
      }),
    ]);
  });

  it('reports unknown snapshots, subjects and ambiguous names at their lines', () => {
    const p = problems(`${head}snapshots:
  data: { of: [nowhere], files: [/data] }
checks:
  - name: c
    diff: { snapshot: date, left: api, right: t/web }
scenarios:
  - name: s
    steps:
      - snapshot: { take: data, of: pc3 }
`);
    expect(p.map((x) => [x.pos?.line, x.message, x.hint])).toEqual([
      [
        11,
        expect.stringMatching(
          /^snapshot "data": no service "nowhere" in any topology .*; or name a node \(nodes: main, api\)$/,
        ),
        undefined,
      ],
      [14, 'snapshot "date" is not defined', 'Define it under "snapshots:", or use one of: data.'],
      [14, '"api" is both a node and a service; write t/api for the service', undefined],
      [18, expect.stringMatching(/^no service "pc3" in any topology/), undefined],
    ]);
  });
});
