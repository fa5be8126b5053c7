/**
 * Which CI system runs the action, and what it can show. GitHub shows annotations and job
 * summaries; Gitea (and Forgejo) runs the same actions through act_runner but has no
 * annotation view (workflow commands become plain log lines), shows a job summary only in
 * recent versions, and its artifact service speaks only the v3 actions' protocol. The
 * action works on both and says in the log what it could not show.
 */
export interface Platform {
  name: 'github' | 'gitea';
  /** Annotations appear beside the code (otherwise they are printed as log lines). */
  annotations: boolean;
  /** The job summary file exists and is shown for sure. */
  summaryShown: boolean;
  /** Where a summary can be written, if anywhere. */
  summaryFile?: string;
}

export function detectPlatform(env: NodeJS.ProcessEnv = process.env): Platform {
  const server = env.GITHUB_SERVER_URL ?? '';
  const gitea =
    env.GITEA_ACTIONS === 'true' ||
    env.FORGEJO_ACTIONS === 'true' ||
    (server !== '' && !isGitHubHost(server));
  const summaryFile = env.GITHUB_STEP_SUMMARY || undefined;
  return gitea
    ? { name: 'gitea', annotations: false, summaryShown: false, summaryFile }
    : { name: 'github', annotations: true, summaryShown: summaryFile !== undefined, summaryFile };
}

/** github.com and GitHub Enterprise Cloud with data residency (*.ghe.com). */
function isGitHubHost(url: string): boolean {
  try {
    const host = new URL(url).hostname;
    return host === 'github.com' || host.endsWith('.ghe.com');
  } catch {
    return false;
  }
}
