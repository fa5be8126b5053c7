import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  publishProblems,
  publishReports,
  writeProblemReports,
  type ReportHost,
  type ReportSink,
  type ReportTarget,
} from '../../src/report/publish.js';
import { workdir } from '../support/cli.js';
import { check, pos, results } from '../support/report-fixtures.js';

const GITHUB: ReportHost = {
  title: 'GitHub',
  annotations: true,
  summaryShown: true,
  summaryFile: '/summary',
};
const GITEA: ReportHost = { title: 'Gitea', annotations: false, summaryShown: false };

/** Every call, in order, as the runner would see it. */
function recorder(opts: { summaryFails?: boolean } = {}) {
  const calls: string[] = [];
  const outputs: Record<string, string | number> = {};
  const summaries: string[] = [];
  const sink: ReportSink = {
    line: (t) => calls.push(`line ${t}`),
    startGroup: (n) => calls.push(`group ${n}`),
    endGroup: () => calls.push('endgroup'),
    warning: (m) => calls.push(`warning ${m}`),
    annotate: (a) =>
      calls.push(`${a.level} ${a.title} @${a.file ?? '-'}:${a.line ?? '-'}:${a.col ?? '-'}`),
    setOutput: (name, value) => {
      calls.push(`output ${name}`);
      outputs[name] = value;
    },
    summary: async (md) => {
      calls.push('summary');
      if (opts.summaryFails) throw new Error('EACCES');
      summaries.push(md);
    },
  };
  return { sink, calls, outputs, summaries };
}

function target(sink: ReportSink, over: Partial<ReportTarget> = {}): ReportTarget {
  const dir = workdir({});
  return {
    sink,
    host: GITHUB,
    workspace: dir,
    files: { junit: join(dir, 'out/junit.xml'), json: join(dir, 'out/results.json') },
    annotations: true,
    summary: true,
    commit: 'abc123',
    ...over,
  };
}

/** Positions as a run in a subfolder of the workspace holds them: absolute here, for any cwd. */
function failedIn(workspace: string) {
  const source = pos(14, 7, join(workspace, 'stack/stackcheck.yml'));
  return results({
    status: 'failed',
    checks: [
      check('api answers'),
      check('api says teapot', { status: 'failed', message: 'status 200', source }),
    ],
  });
}

describe('publishing a run’s reports', () => {
  it('writes the files, prints the results, sets every output, annotates and summarises, in that order', async () => {
    const { sink, calls, outputs, summaries } = recorder();
    const t = target(sink);
    t.files.html = join(t.workspace, 'page.html');
    await publishReports(failedIn(t.workspace), t);

    expect(readFileSync(t.files.junit, 'utf8')).toContain(
      '<property name="commit" value="abc123"/>',
    );
    expect(JSON.parse(readFileSync(t.files.json, 'utf8')).status).toBe('failed');
    expect(existsSync(t.files.html!)).toBe(true);
    expect(outputs).toEqual({
      html: t.files.html,
      status: 'failed',
      // The two services' bring-up and the passing check.
      passed: 3,
      failed: 1,
      errors: 0,
      skipped: 0,
      junit: t.files.junit,
      json: t.files.json,
    });
    const at = (prefix: string) => calls.findIndex((c) => c.startsWith(prefix));
    expect(at('output html')).toBeLessThan(at('line result'));
    expect(at('line result')).toBeLessThan(at('output status'));
    expect(at('output json')).toBeLessThan(at('error check failed: api says teapot'));
    expect(calls.at(-1)).toBe('summary');
    expect(calls).toContain('error check failed: api says teapot @stack/stackcheck.yml:14:7');
    // The summary names positions and report files as the repository does.
    expect(summaries[0]).toContain('stack/stackcheck.yml:14');
    expect(summaries[0]).not.toContain(t.workspace);
  });

  it('says in the log what it leaves out when annotations and the summary are off', async () => {
    const { sink, calls } = recorder();
    const t = target(sink, { annotations: false, summary: false });
    await publishReports(failedIn(t.workspace), t);
    expect(calls.filter((c) => /^(error|warning|notice|summary)/.test(c))).toEqual([]);
    expect(calls).toContain(
      'line annotations: off (input "annotations" or the manifest\'s report.annotations)',
    );
    expect(calls.at(-1)).toBe(
      'line job summary: off (input "summary" or the manifest\'s report.summary)',
    );
  });

  it('repeats annotations and the summary in the log where the host shows neither', async () => {
    const { sink, calls } = recorder();
    const t = target(sink, { host: GITEA });
    await publishReports(failedIn(t.workspace), t);
    expect(calls).toContain(
      'line annotations: Gitea shows no annotations beside the code; the same 1, as log lines:',
    );
    expect(calls).toContain('line error: stack/stackcheck.yml:14:7: check failed: api says teapot');
    expect(calls).not.toContain('summary');
    const group = calls.indexOf('group Job summary (markdown)');
    expect(calls[group - 1]).toBe(
      'line job summary: skipped, this runner offers none (no GITHUB_STEP_SUMMARY); here it is instead:',
    );
    expect(calls.at(-1)).toBe('endgroup');
  });

  it('logs a summary that cannot be written, and goes on', async () => {
    const { sink, calls } = recorder({ summaryFails: true });
    const t = target(sink);
    await publishReports(failedIn(t.workspace), t);
    expect(calls.slice(-2)).toEqual(['summary', 'line job summary: could not be written (EACCES)']);
  });
});

describe('publishing problems that stopped a run', () => {
  const problems = [
    { message: 'unknown key "nope"', pos: { file: 'stackcheck.yml', line: 3, column: 5 } },
    { message: 'the engine does not answer', hint: 'Start Docker.' },
  ];

  it('annotates each at its position, summarises them, and leaves the files and outputs', async () => {
    const { sink, calls, outputs, summaries } = recorder();
    // Positions relative to where stackcheck runs: here, the workspace itself.
    const t = target(sink, { workspace: process.cwd() });
    await publishProblems(problems, 'stackcheck.yml', t);
    expect(calls.slice(0, 3)).toEqual([
      'error stackcheck: invalid manifest @stackcheck.yml:3:5',
      'error stackcheck: cannot run @-:-:-',
      'summary',
    ]);
    expect(summaries[0]).toContain('## ⛔ stackcheck: `stackcheck.yml` cannot run');
    expect(summaries[0]).toContain('the engine does not answer<br>Start Docker.');
    expect(outputs).toMatchObject({ status: 'error', failed: 2, errors: 2 });
    expect(readFileSync(t.files.junit, 'utf8')).toContain('unknown key &quot;nope&quot;');
  });

  it('shows at most 10 annotations, and plain log lines when annotations are off', async () => {
    const many = Array.from({ length: 12 }, (_, i) => ({ message: `problem ${i}` }));
    const on = recorder();
    await publishProblems(many, 'm.yml', target(on.sink, { summary: false }));
    expect(on.calls.filter((c) => c.startsWith('error ')).length).toBe(10);

    const off = recorder();
    await publishProblems(problems, 'm.yml', target(off.sink, { annotations: false }));
    expect(off.calls.slice(0, 2)).toEqual([
      'line error: stackcheck.yml:3:5: unknown key "nope"',
      'line error: the engine does not answer\n  Start Docker.',
    ]);
  });

  it('warns when the report files cannot be written, and still sets the outputs', () => {
    const { sink, calls, outputs } = recorder();
    const dir = workdir({ afile: 'x' });
    writeProblemReports([{ message: 'bad input' }], {
      sink,
      workspace: dir,
      files: { junit: join(dir, 'afile/j.xml'), json: join(dir, 'afile/r.json') },
    });
    expect(calls[0]).toMatch(/^warning stackcheck: the reports could not be written \(/);
    expect(outputs).toMatchObject({ status: 'error', junit: join(dir, 'afile/j.xml') });
  });
});
