import { describe, expect, it } from 'vitest';
import { detectPlatform } from '../../src/action/platform.js';

describe('platform detection, by what each runner sets', () => {
  it('GitHub: annotations, and the summary when the runner offers one', () => {
    expect(
      detectPlatform({ GITHUB_SERVER_URL: 'https://github.com', GITHUB_STEP_SUMMARY: '/s' }),
    ).toEqual({
      name: 'github',
      title: 'GitHub',
      annotations: true,
      summaryShown: true,
      summaryFile: '/s',
    });
    expect(detectPlatform({ GITHUB_SERVER_URL: 'https://acme.ghe.com' }).name).toBe('github');
    expect(detectPlatform({})).toMatchObject({ name: 'github', summaryShown: false });
  });

  it('a GitHub Enterprise Server, on a host of its own, is GitHub', () => {
    expect(
      detectPlatform({
        GITHUB_ACTIONS: 'true',
        GITHUB_SERVER_URL: 'https://git.corp.example',
        GITHUB_API_URL: 'https://git.corp.example/api/v3',
        GITHUB_STEP_SUMMARY: '/s',
      }),
    ).toMatchObject({ name: 'github', annotations: true, summaryShown: true });
  });

  it("Gitea's act_runner: no annotation view, a summary file that may not be shown", () => {
    // act_runner sets GITHUB_ACTIONS too, for actions that look for it.
    const env = {
      GITHUB_ACTIONS: 'true',
      GITEA_ACTIONS: 'true',
      GITEA_ACTIONS_RUNNER_VERSION: 'v0.2.13',
      GITHUB_SERVER_URL: 'https://gitea.example.org',
      GITHUB_STEP_SUMMARY: '/s',
    };
    expect(detectPlatform(env)).toEqual({
      name: 'gitea',
      title: 'Gitea',
      runnerVersion: 'v0.2.13',
      annotations: false,
      summaryShown: false,
      summaryFile: '/s',
    });
    // A Gitea served at github.com's look-alike, or anywhere, is still Gitea: the URL is no sign.
    expect(detectPlatform({ ...env, GITHUB_SERVER_URL: 'https://github.com' }).name).toBe('gitea');
  });

  it("Forgejo's runner sets Gitea's variables and its own: Forgejo", () => {
    expect(
      detectPlatform({
        GITEA_ACTIONS: 'true',
        GITEA_ACTIONS_RUNNER_VERSION: 'v11.1.0',
        FORGEJO_ACTIONS: 'true',
        FORGEJO_ACTIONS_RUNNER_VERSION: 'v11.1.0',
      }),
    ).toMatchObject({ name: 'forgejo', title: 'Forgejo', runnerVersion: 'v11.1.0' });
  });
});
