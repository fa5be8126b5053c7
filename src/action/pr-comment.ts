import * as core from '@actions/core';
import type * as github from '@actions/github';
import { errorMessage } from '../common/errors.js';
import type { RunResults } from '../model/results.js';
import { renderSummary } from '../report/summary.js';
import type { Platform } from './platform.js';

/** GitHub refuses comments over 65,536 characters. */
export const COMMENT_LIMIT_CHARS = 65_536;

/** The hidden line that finds this suite's comment again, so a new run updates it in place. */
export function commentMarker(suite: string): string {
  return `<!-- stackcheck:suite=${encodeURIComponent(suite)} -->`;
}

export interface CommentTarget {
  owner: string;
  repo: string;
  issue: number;
}

/** The pull request this run is for, if any (pull_request and pull_request_target events). */
export function pullRequestOf(ctx: typeof github.context): CommentTarget | undefined {
  const pr = ctx.payload.pull_request as { number?: number } | undefined;
  if (!pr?.number) return undefined;
  return { ...ctx.repo, issue: pr.number };
}

/** The minimal client this needs: octokit's issue comment calls (Gitea's API has the same). */
export interface CommentApi {
  list(t: CommentTarget, page: number): Promise<{ id: number; body?: string }[]>;
  create(t: CommentTarget, body: string): Promise<void>;
  update(t: CommentTarget, id: number, body: string): Promise<void>;
}

export function octokitComments(octokit: ReturnType<typeof github.getOctokit>): CommentApi {
  return {
    async list(t, page) {
      const r = await octokit.rest.issues.listComments({
        owner: t.owner,
        repo: t.repo,
        issue_number: t.issue,
        per_page: 100,
        page,
      });
      return r.data.map((c) => ({ id: c.id, body: c.body ?? undefined }));
    },
    async create(t, body) {
      await octokit.rest.issues.createComment({
        owner: t.owner,
        repo: t.repo,
        issue_number: t.issue,
        body,
      });
    },
    async update(t, id, body) {
      await octokit.rest.issues.updateComment({
        owner: t.owner,
        repo: t.repo,
        comment_id: id,
        body,
      });
    },
  };
}

/**
 * One comment per suite on the pull request: the first run creates it, later runs find it by
 * its hidden marker and replace its text. Returns what it did.
 */
export async function upsertComment(
  api: CommentApi,
  target: CommentTarget,
  suite: string,
  markdown: string,
): Promise<'created' | 'updated'> {
  const marker = commentMarker(suite);
  const body = `${marker}\n${markdown}`;
  for (let page = 1; page <= 50; page++) {
    const comments = await api.list(target, page);
    const mine = comments.find((c) => c.body?.includes(marker));
    if (mine) {
      await api.update(target, mine.id, body);
      return 'updated';
    }
    if (comments.length < 100) break;
  }
  await api.create(target, body);
  return 'created';
}

/** The `pr-comment` input: the summary, shortened to fit, as this suite's comment on the PR. */
export async function commentOnPullRequest(
  results: RunResults,
  githubToken: string,
  platform: Platform,
): Promise<void> {
  // octokit (and its HTTP client) loads only for runs that comment: most never do.
  const github = await import('@actions/github');
  const target = pullRequestOf(github.context);
  if (!target) {
    core.info('pr-comment: this run is not for a pull request; no comment');
    return;
  }
  try {
    const body = renderSummary(results, { limitBytes: COMMENT_LIMIT_CHARS - 4_096 });
    const done = await upsertComment(
      octokitComments(github.getOctokit(githubToken)),
      target,
      results.suite,
      body,
    );
    core.info(`pr-comment: ${done} the comment on #${target.issue}`);
  } catch (e) {
    core.warning(
      `pr-comment: could not comment on #${target.issue} (${errorMessage(e)}). ` +
        (platform.name !== 'github'
          ? `${platform.title} needs a token with write access to issues.`
          : 'The token needs `pull-requests: write` (or `issues: write`) permission.'),
    );
  }
}
