import { describe, expect, it } from 'vitest';
import { DEFAULTS, InputError, readInputs } from '../../src/action/inputs.js';

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
      timeoutMs: undefined,
      failOn: 'failure',
      workingDirectory: '.',
      dockerHost: undefined,
      summary: true,
      annotations: true,
      prComment: false,
      githubToken: '',
      merge: [],
      label: undefined,
    });
    expect(DEFAULTS['fail-on']).toBe('failure');
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
