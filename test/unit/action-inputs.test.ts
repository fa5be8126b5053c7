import fc from 'fast-check';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  checkInputPaths,
  DEFAULTS,
  InputError,
  readInputs,
  reportPaths,
} from '../../src/action/inputs.js';
import type { Suite } from '../../src/model/suite.js';

/** core.getInput's view: only the given inputs are set, the rest read as empty. */
const from = (inputs: Record<string, string>) => (name: string) => inputs[name] ?? '';

function problems(inputs: Record<string, string>): string[] {
  try {
    readInputs(from(inputs));
  } catch (e) {
    if (e instanceof InputError) return e.problems;
    throw e;
  }
  return [];
}

describe('action inputs', () => {
  it('applies action.yml defaults when the runner passes none', () => {
    expect(readInputs(from({}))).toEqual({
      manifest: 'stackcheck.yml',
      topologies: [],
      checks: undefined,
      junit: undefined,
      json: undefined,
      keepUp: false,
      imageCache: false,
      timeoutMs: undefined,
      failOn: 'failure',
      workingDirectory: '.',
      dockerHost: undefined,
      hostAddress: undefined,
      summary: true,
      annotations: true,
      prComment: false,
      githubToken: '',
      merge: [],
      label: undefined,
      env: {},
      secrets: {},
    });
    expect(DEFAULTS['fail-on']).toBe('failure');
  });

  it('takes a host address for the published ports, a name or an IP, nothing more', () => {
    expect(readInputs(from({ 'host-address': '172.17.0.1' })).hostAddress).toBe('172.17.0.1');
    expect(readInputs(from({ 'host-address': 'docker' })).hostAddress).toBe('docker');
    expect(problems({ 'host-address': 'tcp://docker:2375' })).toEqual([
      'input "host-address" must be a host name or IP address (no scheme, no port), not "tcp://docker:2375"',
    ]);
  });

  it('reads env lines and the secrets JSON, leaving out the runner token and quoting no value', () => {
    const i = readInputs(
      from({
        env: '# from vars\nREGION=eu-west\n\nURL=http://x/?a=b\n',
        secrets: JSON.stringify({ API_KEY: 'k-123', github_token: 'ghs_x' }),
      }),
    );
    expect(i.env).toEqual({ REGION: 'eu-west', URL: 'http://x/?a=b' });
    expect(i.secrets).toEqual({ API_KEY: 'k-123' });
    const bad = problems({ env: 'OK=1\nnot a line', secrets: '{"A": 1, "B-C": "hunter2"}' });
    expect(bad).toEqual([
      'input "env" must be KEY=VALUE lines, KEY a variable name (letters, digits, _); line 2 is not',
      'input "secrets" must map variable names to strings; "A" is not one, or its value is no string',
      'input "secrets" must map variable names to strings; "B-C" is not one, or its value is no string',
    ]);
    expect(bad.join('\n')).not.toContain('hunter2');
    expect(problems({ secrets: 'hunter2' })).toEqual([
      'input "secrets" must be a JSON object of names and values: ${{ toJSON(secrets) }}',
    ]);
  });

  it('reads every input as the runner passes it', () => {
    const i = readInputs(
      from({
        manifest: 'ci/stackcheck.yml',
        topologies: 'api, db\nqueue',
        checks: '^api ',
        junit: 'out/junit.xml',
        json: 'out/results.json',
        'keep-up': 'True',
        'image-cache': 'true',
        timeout: '15m',
        'fail-on': 'never',
        'working-directory': 'deploy',
        'docker-host': 'ssh://ci@pc2',
        summary: 'false',
        annotations: 'FALSE',
        'pr-comment': 'true',
        'github-token': 'ghs_x',
        merge: 'reports/a\nreports/b',
        label: 'self-hosted,pc2',
      }),
    );
    expect(i).toMatchObject({
      topologies: ['api', 'db', 'queue'],
      keepUp: true,
      imageCache: true,
      timeoutMs: 900_000,
      failOn: 'never',
      dockerHost: 'ssh://ci@pc2',
      summary: false,
      annotations: false,
      prComment: true,
      merge: ['reports/a', 'reports/b'],
    });
  });

  it('names each bad input and what it takes, all at once', () => {
    expect(
      problems({
        'fail-on': 'sometimes',
        'keep-up': 'maybe',
        timeout: '15',
        checks: '(',
        'docker-host': 'pc2:2375',
      }),
    ).toEqual([
      expect.stringMatching(/^input "checks" must be a regular expression: /),
      'input "keep-up" must be true or false, not "maybe"',
      'input "timeout" must be a duration with a unit, like 90s or 15m, not "15"',
      'input "fail-on" must be failure (fail the step when anything failed), error (only when the run could not be judged) or never, not "sometimes"',
      'input "docker-host" must be an engine URL (unix://, tcp://, ssh:// or npipe://), not "pc2:2375"',
    ]);
  });

  it('needs a token for the pull-request comment', () => {
    expect(problems({ 'pr-comment': 'true' })).toEqual([
      'input "pr-comment" needs a token: pass "github-token" (its default is github.token)',
    ]);
    // An unevaluated default expression is no token either.
    expect(problems({ 'pr-comment': 'true', 'github-token': '${{ github.token }}' })).toHaveLength(
      1,
    );
  });
});

describe('any inputs: read, or refused with each problem naming its input', () => {
  const VALUES = [
    '',
    ' ',
    'true',
    'no',
    'maybe',
    '15',
    '15m',
    '-1s',
    '0s',
    '(',
    '.*',
    'a,b',
    '\n',
    'x\ny',
    'tcp://h:2375',
    'h:2375',
    '${{ github.token }}',
    'never',
    'ERROR',
    '\u00e9',
  ];
  it('never throws anything but an InputError', () => {
    const names = Object.keys(DEFAULTS);
    fc.assert(
      fc.property(
        fc.dictionary(fc.constantFrom(...names), fc.oneof(fc.constantFrom(...VALUES), fc.string())),
        (inputs) => {
          for (const p of problems(inputs)) expect(p).toMatch(/^input "[a-z-]+" /);
        },
      ),
      { seed: Number(process.env.STACKCHECK_FUZZ_SEED ?? 20261204), numRuns: 1000 },
    );
  });
});

describe('inputs that name files and folders, checked before anything runs', () => {
  const workspace = mkdtempSync(join(tmpdir(), 'stackcheck-inputs-'));
  mkdirSync(join(workspace, 'stack/reports'), { recursive: true });
  writeFileSync(join(workspace, 'stack/stackcheck.yml'), 'version: 1\n');
  writeFileSync(join(workspace, 'README.md'), '');
  afterAll(() => rmSync(workspace, { recursive: true, force: true }));
  const pathProblems = (inputs: Record<string, string>) => {
    try {
      checkInputPaths(readInputs(from(inputs)), workspace);
    } catch (e) {
      if (e instanceof InputError) return e.problems;
      throw e;
    }
    return [];
  };

  it('accepts a working directory with a manifest and report files to write', () => {
    expect(pathProblems({ 'working-directory': 'stack', junit: 'reports/junit.xml' })).toEqual([]);
  });

  it.each([
    [
      { 'working-directory': 'nope' },
      `input "working-directory" names "nope", which does not exist in ${workspace}`,
    ],
    [
      { 'working-directory': 'README.md' },
      'input "working-directory" must be a folder, and "README.md" is a file',
    ],
    [
      { manifest: 'stack' },
      'input "manifest" must name a file, and "stack" is a folder: use stack/stackcheck.yml',
    ],
    [
      { 'working-directory': 'stack', junit: 'reports' },
      'input "junit" must name a file to write, and "reports" is a folder',
    ],
    [
      { 'working-directory': 'stack', json: 'reports/' },
      'input "json" must name a file to write, and "reports/" is a folder',
    ],
  ])('%j', (inputs, expected) => {
    expect(pathProblems(inputs)).toEqual([expected]);
  });

  it('a missing manifest names the path looked for and the workspace, and asks for a checkout', () => {
    expect(pathProblems({})).toEqual([
      `input "manifest": no file ${join(workspace, 'stackcheck.yml')} (workspace ${workspace}, ` +
        'working-directory "."). Check out the repository first (a step with ' +
        '`uses: actions/checkout@v4` before this one), or set "manifest" to the file\'s path ' +
        'relative to working-directory.',
    ]);
    // Merging reads results files, not the manifest.
    expect(pathProblems({ merge: 'results' })).toEqual([]);
  });
});

describe('the report files the inputs name', () => {
  const suite = { report: { junit: 'reports/junit.xml' } } as Suite;

  it('takes the input, else the manifest’s report:, else the default name, each absolute', () => {
    const inputs = readInputs(from({ json: 'r.json', html: 'page.html' }));
    expect(reportPaths(inputs, suite, '/ws')).toEqual({
      junit: '/ws/reports/junit.xml',
      json: '/ws/r.json',
      html: '/ws/page.html',
    });
    expect(reportPaths(readInputs(from({ junit: '/abs/j.xml' })), suite, '/ws').junit).toBe(
      '/abs/j.xml',
    );
  });

  it('falls back to the defaults when the inputs could not be read', () => {
    expect(reportPaths(undefined, undefined, '/ws')).toEqual({
      junit: '/ws/stackcheck-junit.xml',
      json: '/ws/stackcheck-results.json',
      html: undefined,
    });
  });
});
