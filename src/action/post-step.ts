import * as core from '@actions/core';
import { errorMessage } from '../common/errors.js';
import { cleanup } from './cleanup.js';
import { removeSshFiles } from './ssh-files.js';
import { decodeState, STATE_KEY } from './state.js';

/**
 * Removes what this job's runs left (a cancelled or killed main, or `keep-up`) and sweeps
 * stale runs of earlier jobs on this host, then the ssh files main wrote from its inputs.
 * Idempotent, and never fails the job: a problem is a warning, since the next run's own
 * sweep retries.
 */
export async function post(): Promise<void> {
  try {
    const state = decodeState(core.getState(STATE_KEY));
    if (state?.dockerHost) process.env.DOCKER_HOST = state.dockerHost;
    else if (!state) {
      const host = core.getInput('docker-host');
      if (host) process.env.DOCKER_HOST = host;
    }
    core.info(
      state?.runs.length
        ? `stackcheck cleanup: runs ${state.runs.map((r) => r.runId).join(', ')}, and stale runs of earlier jobs`
        : 'stackcheck cleanup: stale runs of earlier jobs',
    );
    await cleanup(state, { info: core.info, warning: (t) => core.warning(t) });
  } catch (e) {
    core.warning(`stackcheck cleanup: ${errorMessage(e)}`);
  } finally {
    // After cleanup, which may need the key to reach a node.
    removeSshFiles(decodeState(core.getState(STATE_KEY))?.sshDir);
  }
}
