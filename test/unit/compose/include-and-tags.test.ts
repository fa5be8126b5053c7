import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../../src/cli/main.js';
import { configCommand } from '../../../src/cli/config.js';
import { parseCommand } from '../../../src/cli/args.js';
import { parseYaml } from '../../../src/common/yaml-source.js';
import { readComposeFile } from '../../../src/compose/load.js';
import { toComposeJson } from '../../../src/compose/to-compose.js';
import { workdir } from '../../support/cli.js';
import { load, loadText, problems } from './helpers.js';

const dirs: string[] = [];
function project(files: Record<string, string>): string {
  const dir = workdir(files);
  dirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Loads the named files of `dir` in order, as `compose: [a, b]` does. */
function loadFiles(dir: string, names: string[], env: Record<string, string> = {}) {
  return load(
    names.map((n) => readComposeFile(join(dir, n), n)),
    { env },
  );
}

describe('!reset and !override in a later file', () => {
  const dir = project({
    'compose.yaml': [
      'services:',
      '  app:',
      '    image: app:1',
      '    ports: ["8080:80", "9090:90"]',
      '    environment: { DEBUG: "1", KEEP: "yes" }',
      '    volumes: [data:/data]',
      '    tmpfs: [/run]',
      '    depends_on: [cache, db]',
      '    networks: [front, back]',
      '  cache: { image: redis:7 }',
      '  db: { image: postgres:16 }',
      '  legacy: { image: legacy:0.9 }',
      'networks: { front: {}, back: {} }',
      'volumes: { data: {} }',
      '',
    ].join('\n'),
    'ci.yaml': [
      'services:',
      '  app:',
      '    ports: !reset []',
      '    environment:',
      '      DEBUG: !reset null',
      '      ADDED: "1"',
      '    volumes: !override',
      '      - ./src:/src',
      '    depends_on:',
      '      db: !reset {}',
      '    networks: !override [back]',
      '  legacy: !reset',
      '  db: !override',
      '    image: mariadb:11',
      '',
    ].join('\n'),
  });
  const p = loadFiles(dir, ['compose.yaml', 'ci.yaml']);
  const app = p.services.app!;

  it('!reset removes what the earlier file set, for a key or one entry of a mapping', () => {
    expect(app.ports).toEqual([]);
    expect(app.environment).toEqual({ KEEP: 'yes', ADDED: '1' });
    expect(Object.keys(app.dependsOn)).toEqual(['cache']);
    expect(p.services.legacy).toBeUndefined();
  });

  it('!override replaces instead of merging, and leaves the keys it does not name', () => {
    // volumes replaced, tmpfs (another key writing mounts) kept
    expect(app.mounts.map((m) => `${m.type}:${m.target}`)).toEqual(['tmpfs:/run', 'bind:/src']);
    expect(Object.keys(app.networks)).toEqual(['back']);
    expect(p.services.db!.image).toBe('mariadb:11');
  });

  it('a reset value in the only file is simply absent', () => {
    const single = project({
      'compose.yaml': 'services:\n  a:\n    image: x\n    ports: !reset ["80:80"]\n',
    });
    expect(loadFiles(single, ['compose.yaml']).services.a!.ports).toEqual([]);
  });

  it('a tag deeper than stackcheck applies is merged as usual, and says so', () => {
    const d = project({
      'compose.yaml':
        'services:\n  a:\n    image: x\n    build:\n      context: .\n      args: { A: "1" }\n',
      'o.yaml': 'services:\n  a:\n    build:\n      args: { A: !reset null }\n',
    });
    const p = loadFiles(d, ['compose.yaml', 'o.yaml']);
    expect(p.warnings.map((w) => `${w.pos.line}:${w.pos.column} ${w.message}`)).toEqual([
      '4:25 services.a.build.args.A: the !reset tag is not applied here by stackcheck; the value is merged as usual',
    ]);
  });

  it('the tags are still refused in a manifest, where they mean nothing', () => {
    expect(problems(() => parseYaml('a: !reset []\n', 'stackcheck.yml'))).toEqual([
      'stackcheck.yml:1:4 YAML tag !reset is not supported by stackcheck',
    ]);
  });
});

describe('include', () => {
  it('loads each included file from its own folder, with its .env under the including variables', () => {
    const dir = project({
      'compose.yaml': [
        'include:',
        '  - db/compose.yaml',
        'services:',
        '  app:',
        '    image: app:${TAG}',
        '    depends_on: [postgres]',
        '',
      ].join('\n'),
      'db/compose.yaml': [
        'services:',
        '  postgres:',
        '    image: postgres:${PG}',
        '    env_file: pg.env',
        '    environment: { FROM_PARENT: "${TAG}" }',
        '    volumes: [./init:/init]',
        '',
      ].join('\n'),
      'db/pg.env': 'POSTGRES_PASSWORD=x\n',
      'db/.env': 'PG=15\nTAG=from-child\n',
    });
    const p = loadFiles(dir, ['compose.yaml'], { TAG: 'main', PG: '16' });
    const pg = p.services.postgres!;
    expect(pg.image).toBe('postgres:16'); // the including project's variables win
    expect(pg.environment).toEqual({ POSTGRES_PASSWORD: 'x', FROM_PARENT: 'main' });
    expect(pg.mounts[0]).toMatchObject({ type: 'bind', source: join(dir, 'db/init') });
    expect(pg.pos).toEqual({ file: join(dir, 'db/compose.yaml'), line: 2, column: 3 });
    const child = loadFiles(dir, ['compose.yaml'], { TAG: 'main' });
    expect(child.services.postgres!.image).toBe('postgres:15'); // from db/.env
  });

  it('long syntax: several files, project_directory and env_file', () => {
    const dir = project({
      'compose.yaml': [
        'include:',
        '  - path: [stack/a.yaml, stack/b.yaml]',
        '    project_directory: stack',
        '    env_file: stack/vars.env',
        'services:',
        '  app: { image: app }',
        '',
      ].join('\n'),
      'stack/a.yaml': 'services:\n  redis:\n    image: redis:${V}\n    volumes: [./conf:/conf]\n',
      'stack/b.yaml': 'services:\n  redis:\n    command: ["redis-server"]\n',
      'stack/vars.env': 'V=7\n',
    });
    const redis = loadFiles(dir, ['compose.yaml']).services.redis!;
    expect(redis.image).toBe('redis:7');
    expect(redis.command).toEqual(['redis-server']);
    expect(redis.mounts[0]).toMatchObject({ source: join(dir, 'stack/conf') });
  });

  it('refuses a service both files define, an include cycle, and a missing file, at the include', () => {
    const dir = project({
      'compose.yaml': 'include:\n  - db.yaml\nservices:\n  db: { image: mariadb }\n',
      'db.yaml': 'services:\n  db: { image: postgres }\n',
      'loop.yaml': 'include: [loop2.yaml]\nservices:\n  a: { image: x }\n',
      'loop2.yaml': 'include: [loop.yaml]\nservices:\n  b: { image: x }\n',
      'missing.yaml': 'include: [nope.yaml]\nservices:\n  a: { image: x }\n',
    });
    expect(problems(() => loadFiles(dir, ['compose.yaml']))[0]).toMatch(
      /^compose.yaml:2:5 services.db conflicts with imported resource/,
    );
    expect(problems(() => loadFiles(dir, ['loop.yaml']))[0]).toMatch(
      /^.*loop2.yaml:1:11 include cycle: .*loop.yaml → .*loop2.yaml → .*loop.yaml$/,
    );
    expect(problems(() => loadFiles(dir, ['missing.yaml']))[0]).toMatch(
      /^missing.yaml:1:11 include\[0\]: .*nope.yaml does not exist$/,
    );
  });

  it('takes a file that two includes share once (a diamond), and the same definition twice', () => {
    const dir = project({
      'compose.yaml': 'include: [l.yaml, r.yaml, base.yaml]\nservices:\n  app: { image: app }\n',
      'l.yaml': 'include: [base.yaml]\nservices:\n  l: { image: l }\n',
      'r.yaml': 'include: [base.yaml]\nservices:\n  r: { image: r }\n',
      'base.yaml': 'services:\n  db: { image: db }\nnetworks:\n  n: {}\n',
    });
    const p = loadFiles(dir, ['compose.yaml']);
    expect(Object.keys(p.services).sort()).toEqual(['app', 'db', 'l', 'r']);
    expect(p.services.db!.pos.file).toBe(join(dir, 'base.yaml'));
  });

  it('reports a mistake inside an included file at its own line', () => {
    const dir = project({
      'compose.yaml': 'include: [sub/compose.yaml]\nservices:\n  a: { image: x }\n',
      'sub/compose.yaml': 'services:\n  b:\n    image: x\n    ports: ["http"]\n',
    });
    expect(problems(() => loadFiles(dir, ['compose.yaml']))).toEqual([
      expect.stringMatching(/sub\/compose.yaml:4:13 services.b.ports\[0\]: invalid port "http"/),
    ]);
  });
});

describe('dependency cycles', () => {
  it('make `stackcheck validate` exit 2 at the line, before any engine', async () => {
    const dir = project({
      'compose.yaml':
        'services:\n  a: { image: x, depends_on: [b] }\n  b: { image: x, depends_on: [a] }\n',
      'stackcheck.yml': 'version: 1\nname: s\ntopologies:\n  t: { compose: compose.yaml }\n',
    });
    const err: string[] = [];
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((s) => {
      err.push(String(s));
      return true;
    });
    try {
      expect(await main(['validate', join(dir, 'stackcheck.yml')])).toBe(2);
    } finally {
      spy.mockRestore();
    }
    expect(err.join('')).toMatch(/compose.yaml:3:31: dependency cycle: a → b → a/);
  });

  it('are refused at load, at the dependency that closes the cycle', () => {
    expect(
      problems(() =>
        loadText(
          'services:\n  a: { image: x, depends_on: [b] }\n  b: { image: x, links: [c] }\n  c: { image: x, depends_on: [a] }\n',
        ),
      ),
    ).toEqual(['compose.yaml:4:31 dependency cycle: a → b → c → a']);
  });
});

describe('stackcheck config', () => {
  it("writes the model in compose's shape", () => {
    const p = loadText(
      [
        'name: demo',
        'services:',
        '  web:',
        '    image: nginx',
        '    command: sh -c "echo $$HOME"',
        '    ports: ["127.0.0.1:8080:80/udp", 443]',
        '    restart: on-failure:3',
        '    healthcheck: { test: curl -f localhost, interval: 1m30s, timeout: 500ms }',
        '    depends_on: { db: { condition: service_healthy, restart: true } }',
        '  db: { image: postgres, networks: { back: { aliases: [pg] } } }',
        'networks: { back: {} }',
        '',
      ].join('\n'),
    );
    const json = toComposeJson(p) as { services: Record<string, Record<string, unknown>> };
    expect(json.services.web).toMatchObject({
      command: ['sh', '-c', 'echo $$HOME'],
      ports: [
        { mode: 'ingress', host_ip: '127.0.0.1', target: 80, published: '8080', protocol: 'udp' },
        { mode: 'ingress', target: 443, protocol: 'tcp' },
      ],
      restart: 'on-failure:3',
      healthcheck: {
        test: ['CMD-SHELL', 'curl -f localhost'],
        interval: '1m30s',
        timeout: '500ms',
      },
      depends_on: { db: { condition: 'service_healthy', restart: true, required: true } },
      networks: { default: null },
      entrypoint: null,
    });
    expect(json.services.db!.networks).toEqual({ back: { aliases: ['pg'] } });
    expect((json as unknown as { networks: unknown }).networks).toMatchObject({
      back: { name: 'demo_back' },
    });
  });

  it('prints one topology as JSON or YAML, and names a topology that is not there', () => {
    const dir = project({
      'compose.yaml': 'services:\n  a: { image: x, develop: { watch: [] } }\n',
      'stackcheck.yml': 'version: 1\nname: s\ntopologies:\n  t: { compose: compose.yaml }\n',
    });
    const manifest = join(dir, 'stackcheck.yml');
    const out: string[] = [];
    const err: string[] = [];
    const cmd = parseCommand(['config', manifest, '--format', 'json']);
    expect(cmd).toEqual({ name: 'config', manifest, format: 'json' });
    expect(
      configCommand(
        cmd as never,
        (s) => out.push(s),
        (s) => err.push(s),
      ),
    ).toBe(0);
    expect(JSON.parse(out[0]!)).toMatchObject({ services: { a: { image: 'x' } } });
    expect(err.join('\n')).toMatch(/services.a.develop: ignored on a single engine/);
    out.length = 0;
    configCommand(
      { manifest, format: 'yaml' },
      (s) => out.push(s),
      () => {},
    );
    expect(out[0]).toMatch(/^name: /);
    expect(
      problems(() =>
        configCommand(
          { manifest, topology: 'x', format: 'json' },
          () => {},
          () => {},
        ),
      ),
    ).toEqual(['topology "x" is not defined in ' + manifest]);
    expect(problems(() => parseCommand(['config', '--format', 'toml']))).toEqual([
      '--format must be json or yaml, not "toml"',
    ]);
  });
});
