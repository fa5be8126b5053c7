import { describe, expect, it } from 'vitest';
import { detectPlatform } from '../../src/action/platform.js';

describe('platform detection', () => {
  it('GitHub: annotations, and the summary when the runner offers one', () => {
    expect(
      detectPlatform({ GITHUB_SERVER_URL: 'https://github.com', GITHUB_STEP_SUMMARY: '/s' }),
    ).toEqual({
      name: 'github',
      annotations: true,
      summaryShown: true,
      summaryFile: '/s',
    });
    expect(detectPlatform({ GITHUB_SERVER_URL: 'https://acme.ghe.com' }).name).toBe('github');
    expect(detectPlatform({})).toMatchObject({ name: 'github', summaryShown: false });
  });

  it('Gitea and Forgejo: no annotation view, a summary file that may not be shown', () => {
    expect(detectPlatform({ GITEA_ACTIONS: 'true', GITHUB_STEP_SUMMARY: '/s' })).toEqual({
      name: 'gitea',
      annotations: false,
      summaryShown: false,
      summaryFile: '/s',
    });
    expect(detectPlatform({ FORGEJO_ACTIONS: 'true' }).name).toBe('gitea');
    expect(detectPlatform({ GITHUB_SERVER_URL: 'https://git.example.org' }).name).toBe('gitea');
  });
});
