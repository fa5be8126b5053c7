/**
 * Which CI system runs the action, and what it can show. GitHub shows annotations and job
 * summaries; Gitea and Forgejo run the same actions through their runners but have no
 * annotation view (workflow commands become plain log lines), show a job summary only in
 * recent versions, and their artifact service speaks only the v3 actions' protocol. The
 * action works on all three and says in the log what it could not show.
 *
 * Told apart by what each runner sets, never by the server's URL: a GitHub Enterprise Server
 * runs on any host name. Gitea's act_runner sets GITEA_ACTIONS=true and
 * GITEA_ACTIONS_RUNNER_VERSION for every job; Forgejo's runner sets those and FORGEJO_ACTIONS
 * (with FORGEJO_ACTIONS_RUNNER_VERSION) as well, older Forgejo runners only the Gitea pair.
 */
export interface Platform {
  name: 'github' | 'gitea' | 'forgejo';
  /** As the log names it. */
  title: 'GitHub' | 'Gitea' | 'Forgejo';
  /** The runner's version, where the runner says it (Gitea's and Forgejo's do). */
  runnerVersion?: string;
  /** Annotations appear beside the code (otherwise they are printed as log lines). */
  annotations: boolean;
  /** The job summary file exists and is shown for sure. */
  summaryShown: boolean;
  /** Where a summary can be written, if anywhere. */
  summaryFile?: string;
}

export function detectPlatform(env: NodeJS.ProcessEnv = process.env): Platform {
  const summaryFile = env.GITHUB_STEP_SUMMARY || undefined;
  const runnerVersion =
    env.FORGEJO_ACTIONS_RUNNER_VERSION || env.GITEA_ACTIONS_RUNNER_VERSION || undefined;
  const limited = { annotations: false, summaryShown: false, summaryFile, runnerVersion };
  if (env.FORGEJO_ACTIONS === 'true') return { name: 'forgejo', title: 'Forgejo', ...limited };
  if (env.GITEA_ACTIONS === 'true') return { name: 'gitea', title: 'Gitea', ...limited };
  return {
    name: 'github',
    title: 'GitHub',
    annotations: true,
    summaryShown: summaryFile !== undefined,
    summaryFile,
  };
}
