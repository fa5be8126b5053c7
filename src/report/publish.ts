import { resolve } from 'node:path';
import { errorMessage, formatProblem, type Problem } from '../common/errors.js';
import { problemResults, type RunResults } from '../model/results.js';
import { annotationsFor, type Annotation } from './annotations.js';
import { writeReports } from './files.js';
import { junitSuites, junitTotals } from './junit.js';
import { printResults, type Log } from './log.js';
import { code, inline } from './markdown.js';
import { relocated, repoPath } from './paths.js';
import { renderSummary } from './summary.js';

/**
 * The reports of a CI job: files, the log, annotations, the job summary and the step's
 * outputs. The CI system's own calls stay in its adapter (src/action/), which hands them over
 * as a sink, so this knows no runner and is tested with a recording one.
 */
export interface ReportSink extends Log {
  warning(message: string): void;
  annotate(a: Annotation): void;
  setOutput(name: string, value: string | number): void;
  /** Appends to the job summary; rejects when it cannot be written. */
  summary(markdown: string): Promise<void>;
}

/**
 * What the CI system shows. Where it shows no annotations or maybe no job summary (Gitea,
 * Forgejo), the log says so and carries the same content.
 */
export interface ReportHost {
  title: string;
  annotations: boolean;
  summaryShown: boolean;
  summaryFile?: string;
}

export interface ReportTarget {
  sink: ReportSink;
  host: ReportHost;
  /** The repository root: the reports name files relative to it, not to the working directory. */
  workspace: string;
  /** Absolute paths. */
  files: { junit: string; json: string; html?: string };
  annotations: boolean;
  summary: boolean;
  /** Recorded in the JUnit report. */
  commit?: string;
}

/** A finished run (or merged runs): every report, in the order the log has always shown them. */
export async function publishReports(results: RunResults, target: ReportTarget): Promise<void> {
  const { sink, host, workspace, files } = target;
  const path = repoPathOf(workspace);
  writeReports(results, files, { commit: target.commit, path });
  sink.setOutput('html', files.html ?? '');
  const shown = { junit: repoPath(files.junit, workspace), json: repoPath(files.json, workspace) };

  printResults(relocated(results, path), sink);
  setOutputs(results, files, sink);

  if (target.annotations) {
    const elsewhere = `the job summary and ${shown.junit}`;
    annotate(annotationsFor(results, { path, elsewhere }), host, sink);
  } else {
    sink.line('annotations: off (input "annotations" or the manifest\'s report.annotations)');
  }

  if (target.summary) {
    await writeJobSummary(renderSummary(results, { files: shown, path }), host, sink);
  } else {
    sink.line('job summary: off (input "summary" or the manifest\'s report.summary)');
  }
}

/**
 * A manifest that cannot run: each problem as an error at its position (at most 10: the
 * host's limit per step), in the job summary, and in the report files and outputs.
 */
export async function publishProblems(
  problems: Problem[],
  manifest: string,
  target: ReportTarget,
): Promise<void> {
  const { sink, host, workspace } = target;
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
  if (target.annotations) annotate(list.slice(0, 10), host, sink);
  else for (const p of problems) sink.line(`error: ${formatProblem(p)}`);
  if (target.summary) {
    const md = [
      `## ⛔ stackcheck: ${code(manifest)} cannot run`,
      '',
      ...problems.map(
        (p) =>
          `- ${p.pos ? `${code(`${p.pos.file}:${p.pos.line}:${p.pos.column}`)}: ` : ''}${inline(p.message)}` +
          (p.hint ? `<br>${inline(p.hint)}` : ''),
      ),
      '',
    ].join('\n');
    await writeJobSummary(md, host, sink);
  }
  writeProblemReports(problems, target);
}

/**
 * A run that ended before it started still leaves its report files, each problem an error at
 * its position, so the upload and test-report steps after it show why instead of failing on
 * a missing file; and sets every output.
 */
export function writeProblemReports(
  problems: Problem[],
  target: Pick<ReportTarget, 'sink' | 'workspace' | 'files' | 'commit'>,
): void {
  const results = problemResults('stackcheck', problems);
  try {
    writeReports(results, target.files, {
      commit: target.commit,
      path: repoPathOf(target.workspace),
    });
  } catch (e) {
    target.sink.warning(`stackcheck: the reports could not be written (${errorMessage(e)})`);
  }
  setOutputs(results, target.files, target.sink);
}

/** Positions in the reports name files as the repository does, not as the working directory. */
function repoPathOf(workspace: string): (file: string) => string {
  return (f) => repoPath(resolve(f), workspace);
}

/**
 * Every output, whatever ended the run: `failed` counts failures and errors together (what
 * made the run red), `errors` the errors alone (what stackcheck could not do: bring-up
 * refused by the engine, a check that could not run, a problem that stopped the run).
 */
function setOutputs(
  results: RunResults,
  files: { junit: string; json: string },
  sink: ReportSink,
): void {
  const totals = junitTotals(junitSuites(results));
  sink.setOutput('status', results.status);
  sink.setOutput('passed', totals.passed);
  sink.setOutput('failed', totals.failures + totals.errors);
  sink.setOutput('errors', totals.errors);
  sink.setOutput('skipped', totals.skipped);
  sink.setOutput('junit', files.junit);
  sink.setOutput('json', files.json);
}

function annotate(list: Annotation[], host: ReportHost, sink: ReportSink): void {
  for (const a of list) sink.annotate(a);
  if (!host.annotations && list.length) {
    sink.line(
      `annotations: ${host.title} shows no annotations beside the code; the same ${list.length}, as log lines:`,
    );
    for (const a of list) {
      const where = a.file
        ? `${a.file}${a.line ? `:${a.line}${a.col ? `:${a.col}` : ''}` : ''}: `
        : '';
      sink.line(`${a.level}: ${where}${a.title}`);
      for (const l of a.message.split('\n')) sink.line(`    ${l}`);
    }
  }
}

async function writeJobSummary(
  markdown: string,
  host: ReportHost,
  sink: ReportSink,
): Promise<void> {
  if (host.summaryFile) {
    try {
      await sink.summary(markdown);
    } catch (e) {
      sink.line(`job summary: could not be written (${errorMessage(e)})`);
    }
  }
  if (!host.summaryShown) {
    sink.line(
      host.summaryFile
        ? `job summary: written, but ${host.title} may not show it (older versions show none); here it is as well:`
        : `job summary: skipped, this runner offers none (no GITHUB_STEP_SUMMARY); here it is instead:`,
    );
    sink.startGroup('Job summary (markdown)');
    for (const l of markdown.split('\n')) sink.line(l);
    sink.endGroup();
  }
}
