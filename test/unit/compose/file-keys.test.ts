import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES, hints, load, problems, source } from './helpers.js';

const dir = resolve(FIXTURES, 'files');
const inDir = (text: string, file = 'compose.yaml') => source(text, file, dir);
const at = (line: number, column: number, file = 'compose.yaml') => ({ file, line, column });
const bind = (name: string, target: string, pos: ReturnType<typeof at>) => ({
  type: 'bind',
  source: `${dir}/${name}`,
  target,
  readOnly: true,
  createHostPath: false,
  pos,
});
const top = `secrets:
  token: { file: ./token.txt }
configs:
  app_conf:
    file: ./app.conf
`;

describe('secrets and configs from files', () => {
  it('mounts them read-only at their default paths (short syntax)', () => {
    const p = load(
      inDir(`services:
  a:
    image: x
    volumes: [./data:/data]
    secrets: [token]
    configs: [app_conf]
${top}`),
    );
    expect(p.services.a!.mounts.slice(1)).toEqual([
      bind('token.txt', '/run/secrets/token', at(5, 15)),
      bind('app.conf', '/app_conf', at(6, 15)),
    ]);
  });

  it('takes target from the long syntax: relative below the default folder, or absolute', () => {
    const p = load(
      inDir(`services:
  a:
    image: x
    secrets:
      - source: token
        target: api-token
      - { source: token, target: /etc/token }
    configs:
      - source: app_conf
        target: /etc/app/app.conf
      - { source: app_conf, target: app.conf }
${top}`),
    );
    expect(p.services.a!.mounts.map((m) => [m.type === 'bind' && m.source, m.target])).toEqual([
      [`${dir}/token.txt`, '/run/secrets/api-token'],
      [`${dir}/token.txt`, '/etc/token'],
      [`${dir}/app.conf`, '/etc/app/app.conf'],
      [`${dir}/app.conf`, '/app.conf'],
    ]);
  });

  it('merges grants by target across files, and takes a later file: for a definition', () => {
    const p = load([
      inDir(
        `services:\n  a: { image: x, secrets: [token, { source: token, target: /t2 }] }\n${top}`,
        'a.yaml',
      ),
      inDir(
        'services:\n  a: { secrets: [{ source: other, target: /t2 }] }\nsecrets:\n  other: { file: ./app.conf }\n  token: { file: ./app.conf }\n',
        'b.yaml',
      ),
    ]);
    expect(
      p.services.a!.mounts.map((m) => [m.type === 'bind' && m.source, m.target, m.pos.file]),
    ).toEqual([
      [`${dir}/app.conf`, '/run/secrets/token', 'a.yaml'],
      [`${dir}/app.conf`, '/t2', 'b.yaml'],
    ]);
  });

  it('refuses a secret with no source; external ones, missing files and unset variables are warnings', () => {
    const run = (services = '  a: { image: x }') =>
      load(
        inDir(`services:
${services}
secrets:
  swarm: { external: true }
  from_env: { environment: TOKEN }
  missing: { file: ./nope.txt }
`),
      );
    expect(
      problems(() => load(inDir('services:\n  a: { image: x }\nsecrets:\n  nothing: {}\n'))),
    ).toEqual(['compose.yaml:4:3 secret "nothing" needs "file"']);
    // As compose: config and validate take them (down needs no secret); a service that uses
    // one cannot start, and run says so at its grant.
    expect(run().warnings.map((w) => `${w.pos.line}:${w.pos.column} ${w.message}`)).toEqual([
      '4:22 secret "swarm": external secrets exist only in Docker Swarm (give it a file: ./path, or environment: VAR): a service that uses it will not start',
      '5:28 secret "from_env" is read from the variable TOKEN, which is not set: a service that uses it will not start',
      `6:20 secret "missing": its file test/fixtures/compose/files/nope.txt is not there (relative paths are resolved from the compose project folder): a service that uses it will not start`,
    ]);
    const a = run('  a: { image: x, secrets: [swarm, missing] }').services.a!;
    expect(a.injectedFiles?.map((f) => [f.target, f.unavailable])).toEqual([
      [
        '/run/secrets/swarm',
        'secret "swarm": external secrets exist only in Docker Swarm (give it a file: ./path, or environment: VAR)',
      ],
      [
        '/run/secrets/missing',
        'secret "missing": its file test/fixtures/compose/files/nope.txt is not there (relative paths are resolved from the compose project folder)',
      ],
    ]);
  });

  it("copies content and environment sources in with the grant's owner and mode (0444 by default)", () => {
    const p = load(
      inDir(`services:
  a:
    image: x
    secrets:
      - from_env
      - { source: from_env, target: key.pem, uid: "103", gid: "104", mode: 0400 }
    configs:
      - { source: inline, mode: "0640" }
secrets:
  from_env: { environment: TOKEN }
configs:
  inline:
    content: |
      debug=true
`),
      { env: { TOKEN: 's3cret' } },
    );
    const files = p.services.a!.injectedFiles!.map(({ pos: _pos, ...f }) => f);
    expect(files).toEqual([
      { target: '/run/secrets/from_env', content: 's3cret', mode: 0o444, secret: true },
      {
        target: '/run/secrets/key.pem',
        content: 's3cret',
        mode: 0o400,
        uid: 103,
        gid: 104,
        secret: true,
      },
      { target: '/inline', content: 'debug=true\n', mode: 0o640, secret: false },
    ]);
    expect(p.services.a!.mounts).toEqual([]);
  });

  it('warns that uid, gid and mode do not apply to a file, and reports undeclared or colliding grants at the grant', () => {
    const run = () =>
      load(
        inDir(`services:
  a:
    image: x
    volumes: [./data:/run/secrets/token]
    secrets:
      - token
      - { source: token, target: /x, mode: 0440, uid: "103" }
      - tokn
      - { target: /y }
    configs: app_conf
${top}`),
      );
    expect(problems(run)).toEqual([
      'compose.yaml:6:9 two mounts use the container path /run/secrets/token',
      'compose.yaml:8:9 service "a" uses secret "tokn", which is not declared under top-level secrets',
      'compose.yaml:9:9 services.a.secrets[3]: a secret grant needs "source"',
      'compose.yaml:10:14 services.a.configs must be a list, got string "app_conf"',
    ]);
    expect(hints(run)[1]).toBe('Did you mean "token"?');
    const p = load(
      inDir(`services:
  a:
    image: x
    secrets:
      - { source: token, target: /x, mode: 0440, uid: "103" }
${top}`),
    );
    expect(p.warnings.map((w) => `${w.pos.line}:${w.pos.column} ${w.message}`)).toEqual([
      '5:9 service "a", secret "token": uid, gid and mode are ignored for a secret from a file, which is bind-mounted with its host owner and mode (as docker compose does)',
    ]);
  });
});

describe('label_file', () => {
  it('reads one file or a list in order; labels win over the files', () => {
    const p = load(
      inDir(`services:
  one: { image: x, label_file: ./app.labels }
  two:
    image: x
    label_file: [./app.labels, ./more.labels]
    labels: { com.example.team: platform }
`),
    );
    expect(p.services.one!.labels).toEqual({
      'com.example.team': 'core',
      'com.example.from': 'app',
    });
    expect(p.services.two!.labels).toEqual({
      'com.example.team': 'platform',
      'com.example.from': 'more',
    });
  });

  it('merges across files like labels, file labels still below every labels entry', () => {
    const p = load([
      inDir('services:\n  a: { image: x, labels: { com.example.from: inline } }\n', 'a.yaml'),
      inDir('services:\n  a: { label_file: ./more.labels }\n', 'b.yaml'),
    ]);
    expect(p.services.a!.labels).toEqual({ 'com.example.from': 'inline' });
  });

  it('reports a missing file at its entry and a malformed line in the file', () => {
    const shown = (name: string) => `test/fixtures/compose/files/${name}`;
    expect(
      problems(() =>
        load(
          inDir(
            'services:\n  a: { image: x, label_file: [./nope.labels, ./bad.labels, { path: x }] }\n',
          ),
        ),
      ),
    ).toEqual([
      `compose.yaml:2:31 label file not found: ${shown('nope.labels')}`,
      'compose.yaml:2:60 services.a.label_file[2] must be a string, got a mapping',
      `${shown('bad.labels')}:2:1 malformed line in label file: this is not a label`,
    ]);
  });
});
