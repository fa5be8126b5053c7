import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { parse } from 'yaml';
import { CLI } from './cli.js';

/**
 * Runs the bundled action as the GitHub runner does: `node dist/index.js` (then
 * `node dist/post.js`) with each input as INPUT_<NAME> (upper-cased, hyphens kept, action.yml
 * defaults for the rest), and the file commands' files: GITHUB_OUTPUT, GITHUB_STATE,
 * GITHUB_STEP_SUMMARY. The state main saves reaches post as STATE_<name> variables, read
 * from main's GITHUB_STATE file, as the runner hands it on.
 */

const ACTION = resolve('.');
/** The bundle beside the CLI: STACKCHECK_TEST_CLI points both at a build elsewhere. */
const DIST = dirname(CLI);
const defaults = Object.fromEntries(
  Object.entries(
    (
      parse(readFileSync(join(ACTION, 'action.yml'), 'utf8')) as {
        inputs: Record<string, { default?: string }>;
      }
    ).inputs,
  ).map(([k, v]) => [k, String(v.default ?? '')]),
);

export interface Job {
  workspace: string;
  /** The files of the job's current step. */
  files: { output: string; state: string; summary: string; temp: string };
  /** State saved by the main step, handed to post. */
  state: Record<string, string>;
}

export function newJob(workspace: string): Job {
  const temp = mkdtempSync(join(tmpdir(), 'stackcheck-runner-'));
  const files = {
    output: join(temp, 'output'),
    state: join(temp, 'state'),
    summary: join(temp, 'summary.md'),
    temp,
  };
  for (const f of [files.output, files.state, files.summary]) writeFileSync(f, '');
  return { workspace, files, state: {} };
}

export interface StepResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  summary: string;
}

export class Step {
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';
  readonly done: Promise<StepResult>;

  constructor(
    private readonly job: Job,
    entry: 'dist/index.js' | 'dist/post.js',
    inputs: Record<string, string>,
    env: Record<string, string | undefined> = {},
  ) {
    for (const f of [job.files.output, job.files.summary]) writeFileSync(f, '');
    const inputEnv = Object.fromEntries(
      Object.entries({ ...defaults, 'github-token': 'fake-token', ...inputs }).map(([k, v]) => [
        `INPUT_${k.replace(/ /g, '_').toUpperCase()}`,
        v,
      ]),
    );
    const stateEnv = Object.fromEntries(
      Object.entries(job.state).map(([k, v]) => [`STATE_${k}`, v]),
    );
    const base = { ...process.env };
    for (const k of Object.keys(base))
      if (/^(INPUT|STATE|GITHUB|GITEA|RUNNER)_/.test(k)) delete base[k];
    this.child = spawn(process.execPath, [join(DIST, basename(entry))], {
      cwd: job.workspace,
      env: {
        ...base,
        ...inputEnv,
        ...stateEnv,
        GITHUB_ACTIONS: 'true',
        GITHUB_WORKSPACE: job.workspace,
        GITHUB_OUTPUT: job.files.output,
        GITHUB_STATE: job.files.state,
        GITHUB_STEP_SUMMARY: job.files.summary,
        GITHUB_SERVER_URL: 'https://github.com',
        GITHUB_SHA: '0123456789abcdef0123456789abcdef01234567',
        RUNNER_TEMP: job.files.temp,
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout!.on('data', (d) => (this.stdout += d));
    this.child.stderr!.on('data', (d) => (this.stderr += d));
    this.done = new Promise((r) =>
      this.child.on('close', (code, signal) => {
        if (entry === 'dist/index.js')
          job.state = { ...job.state, ...readFileCommands(job.files.state) };
        r({
          code,
          signal,
          stdout: this.stdout,
          stderr: this.stderr,
          outputs: readFileCommands(job.files.output),
          summary: readFileSync(job.files.summary, 'utf8'),
        });
      }),
    );
  }

  /** Resolves once stdout matches; rejects with the output so far if the step ends first. */
  async waitFor(re: RegExp, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let ended = false;
    void this.done.then(() => (ended = true));
    while (!re.test(this.stdout)) {
      if (ended || Date.now() > deadline) {
        throw new Error(
          `stdout never matched ${re}${ended ? ' (step ended)' : ''}:\n${this.stdout}\n${this.stderr}`,
        );
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

export function runStep(
  job: Job,
  entry: 'dist/index.js' | 'dist/post.js',
  inputs: Record<string, string> = {},
  env: Record<string, string | undefined> = {},
): Promise<StepResult> {
  return new Step(job, entry, inputs, env).done;
}

/**
 * The file-command format (@actions/core's issueFileCommand): `name<<DELIMITER`, the value's
 * lines, `DELIMITER`; or a plain `name=value` line. A later value of a name wins, as on the
 * runner.
 */
export function readFileCommands(file: string): Record<string, string> {
  const lines = readFileSync(file, 'utf8').split('\n');
  const out: Record<string, string> = {};
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const [, name, delimiter] = heredoc;
      const value: string[] = [];
      for (i++; i < lines.length && lines[i] !== delimiter; i++) value.push(lines[i]!);
      out[name!] = value.join('\n');
    } else if (line.includes('=')) {
      out[line.slice(0, line.indexOf('='))] = line.slice(line.indexOf('=') + 1);
    }
  }
  return out;
}

/** Workflow commands printed on stdout (`::error file=…,line=…::message`), decoded. */
export function workflowCommands(stdout: string, command: string) {
  const unescape = (s: string) =>
    s
      .replace(/%0D/g, '\r')
      .replace(/%0A/g, '\n')
      .replace(/%3A/g, ':')
      .replace(/%2C/g, ',')
      .replace(/%25/g, '%');
  return stdout
    .split('\n')
    .filter((l) => l.startsWith(`::${command} `) || l.startsWith(`::${command}::`))
    .map((l) => {
      const m = /^::\w+(?: ([^:]*))?::(.*)$/.exec(l)!;
      const props = Object.fromEntries(
        (m[1] ?? '')
          .split(',')
          .filter(Boolean)
          .map((p) => [p.slice(0, p.indexOf('=')), unescape(p.slice(p.indexOf('=') + 1))]),
      );
      return { props, message: unescape(m[2]!) };
    });
}
