import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES, fixture, hints, load, loadText, problems, source } from './helpers.js';

const dir = resolve(FIXTURES, 'extends');
const main = (line: number, column: number) => ({ file: 'extends/compose.yaml', line, column });
const common = (name: string, line: number, column: number) => ({
  file: `test/fixtures/compose/extends/common/${name}`,
  line,
  column,
});
const inDir = (text: string) => source(text, 'compose.yaml', dir);

describe('extends from another file, which extends a third', () => {
  const p = load(fixture('extends/compose.yaml'));
  const web = p.services.web!;

  it('inherits every key, each with the position of the file it came from', () => {
    expect(web.pos).toEqual(main(3, 3));
    expect(web.image).toBe('example/base:1');
    expect(web.user).toBe('1000');
    expect(web.healthcheck).toEqual({
      disable: false,
      test: ['CMD', 'true'],
      intervalMs: 5000,
      pos: common('base.yaml', 6, 7),
    });
    expect(web.build).toMatchObject({
      context: `${dir}/common/app`,
      pos: common('services.yaml', 7, 12),
    });
  });

  it("resolves the base file's relative paths from its own folder", () => {
    expect(web.environment).toEqual({ FROM_FILE: 'yes', TZ: 'utc', PORT: '8080' });
    expect(web.mounts.map((m) => [m.type === 'tmpfs' ? '' : m.source, m.target, m.pos])).toEqual([
      [`${dir}/local`, '/srv/data', main(11, 9)],
      ['cache', '/cache', common('services.yaml', 15, 9)],
    ]);
  });

  it('merges with the rules of a later compose file: mappings by key, sequences appended, mounts by target', () => {
    expect(web.ports).toEqual([
      { target: 80, protocol: 'tcp', pos: common('services.yaml', 12, 13) },
      { target: 80, published: 8080, protocol: 'tcp', pos: main(9, 13) },
    ]);
    expect(web.labels).toEqual({ tier: 'web' });
    expect(Object.keys(web.dependsOn)).toEqual(['db']);
  });

  it('extends a service of the same file by name, including what that one inherited', () => {
    const cli = p.services.cli!;
    expect(cli.pos).toEqual(main(13, 3));
    expect(cli.image).toBe('example/base:1');
    expect(cli.command).toEqual(['cli', '--help']);
    expect(cli.labels).toEqual({ tier: 'web', role: 'cli' });
    expect(cli.environment).toEqual(web.environment);
  });

  it('reads only the extended service of the other file (its siblings are not interpolated)', () => {
    expect(Object.keys(p.services)).toEqual(['web', 'cli', 'db']);
    expect(p.warnings).toEqual([]);
  });
});

describe('extends rules in detail', () => {
  it('inherits depends_on and links but does not import what the base refers to', () => {
    const text = `services:
  api:
    extends: { file: common/services.yaml, service: webapp }
`;
    expect(problems(() => load(inDir(text)))).toEqual([
      `${common('services.yaml', 15, 9).file}:15:9 service "api" mounts volume "cache", which is not declared under top-level volumes`,
    ]);
    const p = loadText(`services:
  base: { image: x, depends_on: [db], links: ["db:database"] }
  api: { extends: base }
  db: { image: postgres }
`);
    expect(Object.keys(p.services.api!.dependsOn)).toEqual(['db']);
    expect(p.services.api!.links).toEqual([
      { service: 'db', alias: 'database', pos: { file: 'compose.yaml', line: 2, column: 47 } },
    ]);
  });

  it('lets the extending service replace scalars and commands, and merge environment from list syntax', () => {
    const p = loadText(`services:
  base:
    image: x
    command: sleep 1
    environment: [A=1, B=2]
    dns: [1.1.1.1]
  child:
    extends: { service: base }
    image: y
    command: [sleep, "2"]
    environment: { B: "3" }
    dns: [1.1.1.1, 8.8.8.8]
`);
    expect(p.services.child).toMatchObject({
      image: 'y',
      command: ['sleep', '2'],
      environment: { A: '1', B: '3' },
      dns: ['1.1.1.1', '8.8.8.8'],
    });
    expect(p.services.base!.image).toBe('x');
  });

  it('reports cycles at the extends that closes them, in one file and across files', () => {
    expect(
      problems(() =>
        loadText(`services:
  a: { extends: b, image: x }
  b: { extends: a, image: x }
  c: { extends: c, image: x }
`),
      ),
    ).toEqual([
      'compose.yaml:3:17 extends cycle: a → b → a',
      'compose.yaml:4:17 extends cycle: c → c',
    ]);
    expect(problems(() => load(fixture('extends/loop.yaml')))).toEqual([
      'test/fixtures/compose/extends/loop.yaml:3:42 extends cycle: two → one → two',
    ]);
  });

  it('reports a missing service or file where extends names it, with a suggestion', () => {
    const text = `services:
  x: { image: i, extends: { service: nope } }
  y: { image: i, extends: { file: missing.yaml, service: s } }
  v: { image: i, extends: { file: common/services.yaml, service: webap } }
`;
    const run = () => load(inDir(text));
    expect(problems(run)).toEqual([
      'compose.yaml:2:38 services.x.extends: service "nope" is not defined in compose.yaml',
      'compose.yaml:3:35 services.y.extends.file: test/fixtures/compose/extends/missing.yaml: file not found',
      'compose.yaml:4:66 services.v.extends: service "webap" is not defined in test/fixtures/compose/extends/common/services.yaml',
    ]);
    expect(hints(run)[2]).toBe('Did you mean "webapp"?');
  });

  it('reports problems of a base in another file once, at their place in that file', () => {
    const text = `services:
  z: { extends: { file: common/broken.yaml, service: broken } }
  w: { extends: { file: common/broken.yaml, service: broken } }
`;
    expect(problems(() => load(inDir(text)))).toEqual([
      'test/fixtures/compose/extends/common/broken.yaml:4:13 services.broken.ports[0]: invalid port "abc": "abc" is not a port (1-65535) or a range of ports',
    ]);
  });

  it('checks the shape of extends', () => {
    expect(
      problems(() =>
        loadText(`services:
  a: { image: x, extends: [base] }
  b: { image: x, extends: { file: other.yaml } }
  c: { image: x, extends: { service: a, files: x.yaml } }
`),
      ),
    ).toEqual([
      'compose.yaml:2:27 services.a.extends must be a service name or a mapping, got a list',
      'compose.yaml:3:27 services.b.extends: extends needs "service"',
      'compose.yaml:4:41 unknown extends key "files" (in services.c.extends): stackcheck does not support it',
    ]);
  });
});
