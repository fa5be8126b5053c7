import * as core from '@actions/core';
import { resolve } from 'node:path';
import { errorMessage, formatProblem, isUserError, type Problem } from '../common/errors.js';
import type { NodeSpec, Suite } from '../manifest/suite.js';
import { annotationsFor, type Annotation } from '../report/annotations.js';
import { relocated, repoPath } from '../report/paths.js';
import { junitSuites, junitTotals } from '../report/junit.js';
import { code, inline } from '../report/markdown.js';
import { mergeResults, readResultFiles } from '../report/merge.js';
import { problemResults, type RunResults } from '../report/results.js';
import { renderSummary } from '../report/summary.js';
import { loadManifest, runSuites, writeReports } from '../run-manifest.js';
import { verboseFromEnv } from '../report/console.js';
import { GroupedProgress, printResults, type Log } from './console.js';
import {
  checkInputPaths,
  InputError,
  readInputs,
  type ActionInputs,
  type FailOn,
} from './inputs.js';
import { detectPlatform, type Platform } from './platform.js';
import {
  octokitComments,
  pullRequestOf,
  upsertComment,
  COMMENT_LIMIT_CHARS,
} from './pr-comment.js';
import { encodeState, STATE_KEY, type SavedState } from './state.js';
import { withSshFiles, writeSshFiles } from './ssh-files.js';
import { actionImageCache } from './image-cache.js';
import { privateKeyLines } from '../report/redact.js';
import { HOST_ENV } from '../engine/in-container.js';
import { requireSnapshots } from '../snapshot/collect.js';
import { writeSnapshotFile } from '../snapshot/file.js';
import type { Snapshot } from '../snapshot/model.js';
import { timeoutSignal } from '../common/timeout.js';

const DEFAULT_JUNIT = 'stackcheck-junit.xml';
const DEFAULT_JSON = 'stackcheck-results.json';
/** A crashed job's run counts as stale this long after its own time limit. */
const LIFETIME_SLACK_MS = 15 * 60_000;

const log: Log = {
  line: (t) => core.info(t),
  startGroup: (n) => core.startGroup(n),
  endGroup: () => core.endGroup(),
};

/**
 * The action's main step: the same pipeline as `stackcheck run` (run-manifest.ts), with the
 * runner's surfaces around it: inputs, groups in the log, annotations, the job summary,
 * outputs, an optional pull-request comment, and state for the post step.
 */
export async function main(): Promise<void> {
  const platform = detectPlatform();
  const workspace = process.env.GITHUB_WORKSPACE || process.cwd();
  let inputs: ActionInputs;
  try {
    inputs = readInputs((name) => core.getInput(name));
    checkInputPaths(inputs, workspace);
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    for (const p of e.problems) core.error(p, { title: 'stackcheck: invalid input' });
    // The inputs that name the report files may be the bad ones: the defaults, in the workspace.
    problemReports(
      e.problems.map((message) => ({ message })),
      { junit: resolve(workspace, DEFAULT_JUNIT), json: resolve(workspace, DEFAULT_JSON) },
      workspace,
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
  let signals = 0;
  const onSignal = (name: 'SIGINT' | 'SIGTERM') => {
    signals++;
    if (signals === 1) {
      core.info(`\n${name}: stopping and removing what this run created…`);
      controller.abort(name);
    } else {
      core.info(`${name} again: teardown goes on; the post step removes whatever is left.`);
    }
  };
  const handlers = { SIGINT: () => onSignal('SIGINT'), SIGTERM: () => onSignal('SIGTERM') };
  process.on('SIGINT', handlers.SIGINT).on('SIGTERM', handlers.SIGTERM);

  /** The suite, once the manifest has loaded: where its `report:` puts the files. */
  let loaded: Suite | undefined;
  try {
    // checkInputPaths has seen that it is a folder.
    process.chdir(resolve(workspace, inputs.workingDirectory));
    if (inputs.dockerHost) process.env.DOCKER_HOST = inputs.dockerHost;
    if (inputs.hostAddress) process.env[HOST_ENV] = inputs.hostAddress;
    const { results, suite } = await produce(inputs, state, save, controller.signal, (s) => {
      loaded = s;
    });
    await report(results, suite, inputs, platform, workspace);
    await comment(results, inputs, platform);
    conclude(results.status, inputs.failOn);
  } catch (e) {
    const files = reportPaths(inputs, loaded);
    if (isUserError(e)) {
      await reportProblems(e.problems, inputs, platform, workspace);
      problemReports(e.problems, files, workspace);
      conclude('error', inputs.failOn, 'could not run; see the errors above');
    } else {
      problemReports([{ message: `internal error: ${errorMessage(e)}` }], files, workspace);
      core.setFailed(`stackcheck: internal error: ${errorMessage(e)}\n${(e as Error).stack ?? ''}`);
    }
  } finally {
    process.off('SIGINT', handlers.SIGINT).off('SIGTERM', handlers.SIGTERM);
    // Engines are closed by then; should any handle linger, it must not hold the job.
    setTimeout(() => process.exit(), 10_000).unref();
  }
}

/** Runs the suite (or merges earlier results), saving state for post as it goes. */
async function produce(
  inputs: ActionInputs,
  state: SavedState,
  save: () => void,
  signal: AbortSignal,
  onLoaded: (suite: Suite) => void,
): Promise<{ results: RunResults; suite?: Suite }> {
  if (inputs.merge.length) {
    const runs = readResultFiles(inputs.merge);
    for (const r of runs)
      core.info(`${r.file}: ${r.results.suite} (${r.label}): ${r.results.status}`);
    const results = mergeResults(runs);
    return { results: inputs.label ? { ...results, label: inputs.label } : results };
  }
  const ssh = writeSshFiles(inputs);
  if (ssh) {
    state.sshDir = ssh.dir;
    save();
  }
  const keyLines = privateKeyLines([ssh?.identity]);
  for (const line of keyLines) core.setSecret(line);
  // A reusable workflow's caller hands its variables and secrets over as inputs: the
  // manifest's ${VAR} reads them from the environment, as it would in a plain job.
  Object.assign(process.env, inputs.env, inputs.secrets);
  const secretValues = Object.values(inputs.secrets).filter(Boolean);
  for (const v of secretValues) core.setSecret(v);
  const { suites, notes } = loadManifest(inputs.manifest, {
    filter: { topologies: inputs.topologies, checks: inputs.checks },
  });
  for (const s of suites) {
    for (const [name, node] of Object.entries(s.nodes)) s.nodes[name] = withSshFiles(node, ssh);
    s.secrets.push(...keyLines, ...secretValues);
  }
  // The core masks these in its reports; the runner masks them in everything else printed.
  for (const secret of new Set(suites.flatMap((s) => s.secrets ?? []))) core.setSecret(secret);
  for (const n of notes) core.info(n);
  onLoaded(suites[0]!);
  state.nodes = usedNodes(suites);
  save();
  // A re-run with debug logging (RUNNER_DEBUG) shows every service's progress, as --verbose does.
  const verbose = verboseFromEnv() || process.env.RUNNER_DEBUG === '1';
  const progress = new GroupedProgress(log, { verbose });
  const limit = inputs.timeoutMs ? timeoutSignal(inputs.timeoutMs) : undefined;
  if (inputs.snapshot) requireSnapshots(suites);
  const snapshots: Snapshot[] | undefined = inputs.snapshot ? [] : undefined;
  const images = inputs.imageCache ? await actionImageCache() : undefined;
  try {
    const results = await runSuites(suites, {
      signal: limit ? AbortSignal.any([signal, limit]) : signal,
      progress,
      keep: inputs.keepUp,
      ...(inputs.timeoutMs && { lifetimeMs: inputs.timeoutMs + LIFETIME_SLACK_MS }),
      onStart: (run) => {
        state.runs.push(run);
        save();
      },
      snapshots,
      imageCache: images?.cache,
    });
    // A cancelled job has no time to upload; the next one builds again.
    if (!signal.aborted) await images?.save();
    if (snapshots) writeSnapshots(resolve(inputs.snapshot!), suites[0]!.name, snapshots);
    return {
      results: inputs.label ? { ...results, label: inputs.label } : results,
      suite: suites[0],
    };
  } finally {
    progress.close();
  }
}

/**
 * The snapshot file a later job downloads (as an artifact) and compares with a diff check's
 * `file:` side. What could not be captured is a warning here; the diff that reads it judges.
 */
function writeSnapshots(path: string, suite: string, snapshots: Snapshot[]): void {
  writeSnapshotFile(path, suite, snapshots);
  for (const s of snapshots) {
    core.info(`snapshot ${s.name} of ${s.subject}: ${Object.keys(s.entries).length} keys`);
    for (const why of s.incomplete)
      core.warning(`snapshot ${s.name} of ${s.subject} is incomplete: ${why}`);
  }
  core.setOutput('snapshot', path);
}

function usedNodes(suites: Suite[]): NodeSpec[] {
  const byName = new Map<string, NodeSpec>();
  for (const s of suites) for (const t of s.topologies) byName.set(t.node, s.nodes[t.node]!);
  return [...byName.values()];
}

async function report(
  results: RunResults,
  suite: Suite | undefined,
  inputs: ActionInputs,
  platform: Platform,
  workspace: string,
): Promise<void> {
  const { junit, json, html } = reportPaths(inputs, suite);
  // Positions in the reports name files as the repository does, wherever working-directory is.
  const path = (f: string) => repoPath(resolve(f), workspace);
  writeReports(results, { junit, json, html }, { path });
  core.setOutput('html', html ?? '');
  const files = { junit: repoPath(junit, workspace), json: repoPath(json, workspace) };

  printResults(relocated(results, path), log);
  setOutputs(results, { junit, json });

  if (inputs.annotations && suite?.report.annotations !== false) {
    const elsewhere = `the job summary and ${files.junit}`;
    emitAnnotations(annotationsFor(results, { path, elsewhere }), platform);
  } else {
    core.info('annotations: off (input "annotations" or the manifest\'s report.annotations)');
  }

  if (inputs.summary && suite?.report.summary !== false) {
    await writeJobSummary(renderSummary(results, { files, path }), platform);
  } else {
    core.info('job summary: off (input "summary" or the manifest\'s report.summary)');
  }
}

function reportPaths(inputs: ActionInputs, suite: Suite | undefined) {
  return {
    junit: resolve(inputs.junit ?? suite?.report.junit ?? DEFAULT_JUNIT),
    json: resolve(inputs.json ?? suite?.report.json ?? DEFAULT_JSON),
    html: inputs.html === undefined ? undefined : resolve(inputs.html),
  };
}

/**
 * Every output, whatever ended the run: `failed` counts failures and errors together (what
 * made the run red), `errors` the errors alone (what stackcheck could not do: bring-up
 * refused by the engine, a check that could not run, a problem that stopped the run).
 */
function setOutputs(results: RunResults, files: { junit: string; json: string }): void {
  const totals = junitTotals(junitSuites(results));
  core.setOutput('status', results.status);
  core.setOutput('passed', totals.passed);
  core.setOutput('failed', totals.failures + totals.errors);
  core.setOutput('errors', totals.errors);
  core.setOutput('skipped', totals.skipped);
  core.setOutput('junit', files.junit);
  core.setOutput('json', files.json);
}

/**
 * A run that ended before it started still leaves its JUnit and JSON, each problem an error
 * at its position, so the upload and test-report steps after it show why instead of failing
 * on a missing file.
 */
function problemReports(
  problems: Problem[],
  files: { junit: string; json: string },
  workspace: string,
): void {
  const results = problemResults('stackcheck', problems);
  try {
    writeReports(results, files, { path: (f) => repoPath(resolve(f), workspace) });
  } catch (e) {
    core.warning(`stackcheck: the reports could not be written (${errorMessage(e)})`);
  }
  setOutputs(results, files);
}

function emitAnnotations(list: Annotation[], platform: Platform): void {
  for (const a of list) {
    const props = { title: a.title, file: a.file, startLine: a.line, startColumn: a.col };
    if (a.level === 'error') core.error(a.message, props);
    else if (a.level === 'warning') core.warning(a.message, props);
    else core.notice(a.message, props);
  }
  if (!platform.annotations && list.length) {
    core.info(
      `annotations: ${platform.title} shows no annotations beside the code; the same ${list.length}, as log lines:`,
    );
    for (const a of list) {
      const where = a.file
        ? `${a.file}${a.line ? `:${a.line}${a.col ? `:${a.col}` : ''}` : ''}: `
        : '';
      core.info(`${a.level}: ${where}${a.title}`);
      for (const l of a.message.split('\n')) core.info(`    ${l}`);
    }
  }
}

async function writeJobSummary(markdown: string, platform: Platform): Promise<void> {
  if (platform.summaryFile) {
    try {
      await core.summary.addRaw(markdown, true).write();
    } catch (e) {
      core.info(`job summary: could not be written (${errorMessage(e)})`);
    }
  }
  if (!platform.summaryShown) {
    core.info(
      platform.summaryFile
        ? `job summary: written, but ${platform.title} may not show it (older versions show none); here it is as well:`
        : `job summary: skipped, this runner offers none (no GITHUB_STEP_SUMMARY); here it is instead:`,
    );
    core.startGroup('Job summary (markdown)');
    for (const l of markdown.split('\n')) core.info(l);
    core.endGroup();
  }
}

async function comment(
  results: RunResults,
  inputs: ActionInputs,
  platform: Platform,
): Promise<void> {
  if (!inputs.prComment) return;
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
      octokitComments(github.getOctokit(inputs.githubToken)),
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

/** A manifest that cannot load: each problem as an error at its position, and in the summary. */
async function reportProblems(
  problems: Problem[],
  inputs: ActionInputs,
  platform: Platform,
  workspace: string,
): Promise<void> {
  const list: Annotation[] = problems.map((p) => ({
    level: 'error',
    title: p.pos ? 'stackcheck: invalid manifest' : 'stackcheck: cannot run',
    message: p.hint ? `${p.message}\n${p.hint}` : p.message,
    ...(p.pos && {
      file: repoPath(resolve(p.pos.file), workspace),
      line: p.pos.line,
      col: p.pos.column,
    }),
  }));
  if (inputs.annotations) emitAnnotations(list.slice(0, 10), platform);
  else for (const p of problems) core.info(`error: ${formatProblem(p)}`);
  if (inputs.summary) {
    const md = [
      `## ⛔ stackcheck: ${code(inputs.manifest)} cannot run`,
      '',
      ...problems.map(
        (p) =>
          `- ${p.pos ? `${code(`${p.pos.file}:${p.pos.line}:${p.pos.column}`)}: ` : ''}${inline(p.message)}` +
          (p.hint ? `<br>${inline(p.hint)}` : ''),
      ),
      '',
    ].join('\n');
    await writeJobSummary(md, platform);
  }
}

function conclude(status: RunResults['status'], failOn: FailOn, why?: string): void {
  const fail =
    failOn === 'failure' ? status !== 'passed' : failOn === 'error' ? status === 'error' : false;
  if (fail) core.setFailed(`stackcheck: ${why ?? status}`);
  else if (status !== 'passed')
    core.info(`stackcheck: ${status}, not failing the step (fail-on: ${failOn})`);
}
