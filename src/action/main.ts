import * as core from '@actions/core';
import { resolve } from 'node:path';
import { errorMessage, isUserError } from '../common/errors.js';
import { HOST_ENV } from '../engine/in-container.js';
import type { RunResults } from '../model/results.js';
import type { Suite } from '../model/suite.js';
import {
  publishProblems,
  publishReports,
  writeProblemReports,
  type ReportTarget,
} from '../report/publish.js';
import {
  checkInputPaths,
  InputError,
  readInputs,
  reportPaths,
  type ActionInputs,
  type FailOn,
} from './inputs.js';
import { detectPlatform } from './platform.js';
import { commentOnPullRequest } from './pr-comment.js';
import { produce } from './produce.js';
import { abortOnSignals } from './signals.js';
import { runnerSink as sink } from './sink.js';
import { encodeState, STATE_KEY, type SavedState } from './state.js';

/**
 * The action's main step: the same pipeline as `stackcheck run` (run-manifest.ts), with the
 * runner's surfaces around it: inputs, groups in the log, annotations, the job summary,
 * outputs, an optional pull-request comment, and state for the post step.
 */
export async function main(): Promise<void> {
  const platform = detectPlatform();
  const workspace = process.env.GITHUB_WORKSPACE || process.cwd();
  const surfaces = { sink, host: platform, workspace, commit: process.env.GITHUB_SHA };
  let inputs: ActionInputs;
  try {
    inputs = readInputs((name) => core.getInput(name));
    checkInputPaths(inputs, workspace);
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    for (const message of e.problems)
      sink.annotate({ level: 'error', title: 'stackcheck: invalid input', message });
    // The inputs that name the report files may be the bad ones: the defaults, in the workspace.
    writeProblemReports(
      e.problems.map((message) => ({ message })),
      { ...surfaces, files: reportPaths(undefined, undefined, workspace) },
    );
    core.setFailed(`stackcheck: ${e.problems.length} invalid input(s); see the errors above`);
    return;
  }

  const state: SavedState = {
    nodes: [],
    runs: [],
    dockerHost: inputs.dockerHost,
    workingDirectory: inputs.workingDirectory,
  };
  const save = () => core.saveState(STATE_KEY, encodeState(state));
  save();

  const controller = new AbortController();
  const stopListening = abortOnSignals(controller);

  let loaded: Suite | undefined;
  try {
    // checkInputPaths has seen that it is a folder.
    process.chdir(resolve(workspace, inputs.workingDirectory));
    if (inputs.dockerHost) process.env.DOCKER_HOST = inputs.dockerHost;
    if (inputs.hostAddress) process.env[HOST_ENV] = inputs.hostAddress;
    const { results, suite } = await produce(inputs, {
      state,
      save,
      signal: controller.signal,
      log: sink,
      onLoaded: (s) => {
        loaded = s;
      },
    });
    const target: ReportTarget = {
      ...surfaces,
      files: reportPaths(inputs, suite),
      annotations: inputs.annotations && suite?.report.annotations !== false,
      summary: inputs.summary && suite?.report.summary !== false,
    };
    await publishReports(results, target);
    if (inputs.prComment) await commentOnPullRequest(results, inputs.githubToken, platform);
    conclude(results.status, inputs.failOn);
  } catch (e) {
    const files = reportPaths(inputs, loaded);
    if (isUserError(e)) {
      // Only the inputs turn these off: the manifest's `report:` may be what could not load.
      const { annotations, summary } = inputs;
      await publishProblems(e.problems, inputs.manifest, {
        ...surfaces,
        files,
        annotations,
        summary,
      });
      conclude('error', inputs.failOn, 'could not run; see the errors above');
    } else {
      writeProblemReports([{ message: `internal error: ${errorMessage(e)}` }], {
        ...surfaces,
        files,
      });
      core.setFailed(`stackcheck: internal error: ${errorMessage(e)}\n${(e as Error).stack ?? ''}`);
    }
  } finally {
    stopListening();
    // Engines are closed by then; should any handle linger, it must not hold the job.
    setTimeout(() => process.exit(), 10_000).unref();
  }
}

function conclude(status: RunResults['status'], failOn: FailOn, why?: string): void {
  const fail =
    failOn === 'failure' ? status !== 'passed' : failOn === 'error' ? status === 'error' : false;
  if (fail) core.setFailed(`stackcheck: ${why ?? status}`);
  else if (status !== 'passed')
    core.info(`stackcheck: ${status}, not failing the step (fail-on: ${failOn})`);
}
