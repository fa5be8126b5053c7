import { relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readComposeFile } from '../../../src/compose/load.js';
import { FIXTURES, fixture, hints, load, loadText, problems, source } from './helpers.js';

describe('unsupported keys', () => {
  const run = () => load(fixture('unsupported/compose.yaml'));

  it('reports every mistake with file:line:col, and typos with a suggestion', () => {
    expect(problems(run)).toEqual([
      'unsupported/compose.yaml:5:10 service "node-exporter" shares the pid namespace of "host-agent", which is not defined',
      'unsupported/compose.yaml:8:3 service "app" has neither image nor build',
      'unsupported/compose.yaml:9:5 unknown service key "imgae" (in services.app): stackcheck does not support it',
      'unsupported/compose.yaml:17:11 unknown limits key "memroy" (in services.app.deploy.resources.limits): stackcheck does not support it',
      'unsupported/compose.yaml:20:7 unknown healthcheck key "intervall" (in services.app.healthcheck): stackcheck does not support it',
      'unsupported/compose.yaml:22:5 include[0]: test/fixtures/compose/unsupported/other.yaml does not exist',
    ]);
    const h = hints(run);
    expect(h[0]).toBe('Define "host-agent", or remove the reference.');
    expect(h[2]).toBe('Did you mean "image"?');
    expect(h[3]).toBe('Did you mean "memory"?');
    expect(h[4]).toBe('Did you mean "interval"?');
  });

  it('accepts the keys compose accepts that change nothing on one engine, each listed once with why', () => {
    const p = loadText(
      [
        'services:',
        '  web:',
        '    image: x',
        '    external_links: [redis_1]',
        '    develop: { watch: [{ path: ./src, action: sync, target: /src }] }',
        '    deploy: { mode: replicated, placement: { constraints: [a] }, labels: { a: b } }',
        '    build: { context: ., cache_from: [type=local], platforms: [linux/amd64, linux/arm64] }',
        '    volumes:',
        '      - { type: npipe, source: x, target: /x }',
        '    pull_policy: daily',
        'x-other: 1',
      ].join('\n'),
    );
    expect(p.warnings.map((w) => `${w.pos.line}:${w.pos.column} ${w.message}`)).toEqual([
      '4:5 services.web.external_links: ignored on a single engine: links to containers outside the project (legacy --link); reach them over a shared network instead',
      '5:5 services.web.develop: ignored on a single engine: compose watch (syncing files while developing) has nothing to do in a test run',
      '6:15 services.web.deploy.mode: ignored on a single engine: a Swarm setting; a single engine has no orchestrator to apply it',
      '6:33 services.web.deploy.placement: ignored on a single engine: a Swarm setting; a single engine has no orchestrator to apply it',
      '6:66 services.web.deploy.labels: ignored on a single engine: a Swarm setting; a single engine has no orchestrator to apply it (labels on the Swarm service, not on containers)',
      '7:26 services.web.build.cache_from: ignored on a single engine: cache sources only speed a build up',
      '7:52 services.web.build.platforms: ignored on a single engine: several platforms need buildx; the engine builds for its own platform (set the service\'s "platform")',
      '9:9 services.web.volumes[0]: ignored on a single engine: a mount of type npipe: Windows named pipes only',
      '10:5 services.web.pull_policy: ignored on a single engine: "daily" is applied as "missing": stackcheck does not track pull times',
    ]);
    // develop.watch stays in the model (stackcheck config shows it); the npipe mount does not run.
    expect(p.services.web!.develop).toEqual({
      watch: [{ path: './src', action: 'sync', target: '/src' }],
    });
    expect(p.services.web!.mounts).toEqual([]);
    expect(p.services.web!.pullPolicy).toBe('missing');
  });

  it('lists other top-level keys with a suggestion for typos (and no noise about the missing services)', () => {
    expect(problems(() => loadText('servces:\n  a: { image: x }\n'))).toEqual([
      'compose.yaml:1:1 unknown top-level key "servces": stackcheck does not support it',
    ]);
  });
});

describe('reading files', () => {
  it('reports a missing file and YAML syntax errors with positions', () => {
    expect(problems(() => readComposeFile(resolve(FIXTURES, 'nope.yaml'), 'nope.yaml'))).toEqual([
      'nope.yaml: file not found',
    ]);
    expect(problems(() => loadText('services:\n  a:\n    image: x\n   bad: [\n'))[0]).toBe(
      'compose.yaml:4:1 YAML syntax: All mapping items must start at the same column',
    );
  });

  it('checks keys in every nested mapping, ulimits included', () => {
    expect(
      problems(() =>
        loadText(
          'services:\n  a:\n    image: x\n    ulimits:\n      nofile: { soft: 1, hard: 2, max: 3 }\n',
        ),
      ),
    ).toEqual([
      'compose.yaml:5:35 unknown ulimit key "max" (in services.a.ulimits.nofile): stackcheck does not support it',
    ]);
  });
});

describe('wrong value types', () => {
  it('reports each at the value, with every problem of the file at once', () => {
    expect(problems(() => load(fixture('bad-types/compose.yaml')))).toEqual([
      'bad-types/compose.yaml:4:13 services.web.ports[0]: invalid port "abc": "abc" is not a port (1-65535) or a range of ports',
      'bad-types/compose.yaml:4:29 services.web.ports[2]: invalid port "1-3:1-2": host range 1-3 and container range 1-2 differ in size',
      'bad-types/compose.yaml:5:14 services.web.restart: unknown restart policy "sometimes"',
      'bad-types/compose.yaml:6:24 services.web.stop_grace_period must be a duration, got string "soon"',
      'bad-types/compose.yaml:7:16 services.web.read_only must be true or false, got string "maybe"',
      'bad-types/compose.yaml:8:18 services.web.environment must be a list of "KEY=value" strings or a mapping, got number 42',
      'bad-types/compose.yaml:10:13 services.web.healthcheck.test must be a command starting with "CMD", "CMD-SHELL" or "NONE", got a list',
      'bad-types/compose.yaml:11:16 services.web.healthcheck.retries must be a whole number of at least 0, got string "many"',
      'bad-types/compose.yaml:13:17 services.web.deploy.replicas must be a whole number of at least 0, got number -1',
      'bad-types/compose.yaml:14:16 service "web" uses network "ghost", which is not declared under top-level networks',
      'bad-types/compose.yaml:16:9 service "web" mounts volume "missing_vol", which is not declared under top-level volumes',
      'bad-types/compose.yaml:17:18 service "web" depends on "nowhere", which is not defined',
      'bad-types/compose.yaml:17:27 service "web" depends on "dbb", which is not defined',
      'bad-types/compose.yaml:20:3 service name "bad name!" is not valid',
    ]);
    expect(hints(() => load(fixture('bad-types/compose.yaml')))[12]).toBe('Did you mean "db"?');
  });
});

describe('interpolation', () => {
  const text = `services:
  db:
    image: postgres:\${PG_VERSION:-16}
    environment:
      POSTGRES_PASSWORD: \${DB_PASSWORD:?DB_PASSWORD must be set for the db service}
      LITERAL: "$$HOME and $\${X}"
    labels:
      version: $UNSET_LABEL
`;

  it('substitutes values, defaults and $$ escapes, and warns about unset variables', () => {
    const p = loadText(text, { env: { DB_PASSWORD: 's3cret' } });
    expect(p.services.db!.image).toBe('postgres:16');
    expect(p.services.db!.environment).toEqual({
      POSTGRES_PASSWORD: 's3cret',
      LITERAL: '$HOME and ${X}',
    });
    expect(p.services.db!.labels).toEqual({ version: '' });
    expect(p.warnings).toEqual([
      {
        message:
          'services.db.labels.version: variable UNSET_LABEL is not set; using an empty string',
        pos: { file: 'compose.yaml', line: 8, column: 16 },
      },
    ]);
  });

  it('reports ${VAR:?message} at the value that needs it', () => {
    expect(problems(() => loadText(text))).toEqual([
      'compose.yaml:5:26 services.db.environment.POSTGRES_PASSWORD: DB_PASSWORD must be set for the db service',
    ]);
  });

  it('reports broken syntax at the value', () => {
    expect(problems(() => loadText('services:\n  a:\n    image: "x:${"\n'))).toEqual([
      'compose.yaml:3:12 services.a.image: invalid interpolation "${": a variable name must follow "${"',
    ]);
  });

  it('does not interpolate top-level x- blocks, which only feed anchors', () => {
    const p = loadText(
      'x-unused: { token: "${NEVER:?not needed}" }\nservices:\n  a: { image: x }\n',
    );
    expect(Object.keys(p.services)).toEqual(['a']);
  });
});

describe('env_file problems', () => {
  const dir = resolve(FIXTURES, 'envfiles');
  const shown = (name: string) => relative(process.cwd(), resolve(dir, name));

  it('reads files in order, skips a missing optional one, reports a missing required one at its entry', () => {
    const text = `services:
  a:
    image: x
    env_file:
      - ./app.env
      - path: ./optional.env
        required: false
      - path: ./missing.env
`;
    expect(problems(() => load(source(text, 'compose.yaml', dir)))).toEqual([
      `compose.yaml:8:15 env file not found: ${shown('missing.env')}`,
    ]);
    const ok = load(
      source(text.replace(/ {6}- path: \.\/missing\.env\n/, ''), 'compose.yaml', dir),
    );
    expect(ok.services.a!.environment).toMatchObject({
      PLAIN: 'value',
      MULTI: 'line one\nline two',
    });
  });

  it('reports a malformed env file at its own lines', () => {
    const text = 'services:\n  a:\n    image: x\n    env_file: bad.env\n';
    expect(problems(() => load(source(text, 'compose.yaml', dir)))).toEqual([
      `${shown('bad.env')}:2:1 malformed line in env file: this is not a line`,
      `${shown('bad.env')}:4:1 malformed line in env file: =novalue`,
      `${shown('bad.env')}:5:10 unterminated " quote in env file`,
    ]);
  });
});
