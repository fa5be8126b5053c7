import { statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseDuration } from '../common/duration.js';
import type { Suite } from '../model/suite.js';

/**
 * The action's inputs, read once and checked. The runner passes each as `INPUT_<NAME>`
 * (upper-cased, hyphens kept) and applies action.yml's defaults, but enforces nothing:
 * `required` is not checked, and every value is a string. So every input is validated here,
 * with a message naming the input and the values it takes; the defaults below are the same
 * as action.yml's (a test holds them together), for runs that bypass the runner's defaults.
 */

export type FailOn = 'failure' | 'error' | 'never';

export interface ActionInputs {
  manifest: string;
  topologies: string[];
  checks?: string;
  /** Empty: the manifest's `report.junit`, else the default file name. */
  junit?: string;
  json?: string;
  /** Empty: no page. */
  html?: string;
  keepUp: boolean;
  /** Keep images built from the compose files between jobs, on the runner's cache service. */
  imageCache: boolean;
  timeoutMs?: number;
  failOn: FailOn;
  workingDirectory: string;
  dockerHost?: string;
  /** Where the runner reaches the ports the local engine publishes (STACKCHECK_HOST). */
  hostAddress?: string;
  summary: boolean;
  annotations: boolean;
  prComment: boolean;
  githubToken: string;
  /** Merge these results files or folders instead of running (the matrix workflow's last job). */
  merge: string[];
  /** A name for this run in merged reports, e.g. the runner's labels. */
  label?: string;
  /** Take the manifest's snapshots after the scenarios into this file, for a later job to compare. */
  snapshot?: string;
  /** A private key (the file's text) for ssh:// nodes that name no `identity:`. */
  sshKey?: string;
  /** known_hosts lines for ssh:// nodes that name neither `knownHosts:` nor `hostKey:`. */
  sshKnownHosts?: string;
  /** Variables for the manifest's `${VAR}`, from `KEY=VALUE` lines (a caller's `vars`, say). */
  env: Record<string, string>;
  /** Secret variables for the manifest's `${VAR}`, from `toJSON(secrets)`: masked everywhere. */
  secrets: Record<string, string>;
}

/** Defaults, as in action.yml. */
export const DEFAULTS = {
  manifest: 'stackcheck.yml',
  topologies: '',
  checks: '',
  junit: '',
  json: '',
  html: '',
  'keep-up': 'false',
  'image-cache': 'false',
  timeout: '',
  'fail-on': 'failure',
  'working-directory': '.',
  'docker-host': '',
  'host-address': '',
  summary: 'true',
  annotations: 'true',
  'pr-comment': 'false',
  'github-token': '${{ github.token }}',
  merge: '',
  label: '',
  snapshot: '',
  'ssh-key': '',
  'ssh-known-hosts': '',
  env: '',
  secrets: '',
} as const;

export type InputName = keyof typeof DEFAULTS;

export class InputError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
    this.name = 'InputError';
  }
}

/** Reads an input as the runner passes it; `getInput` is core.getInput in the action. */
export function readInputs(getInput: (name: string) => string): ActionInputs {
  const problems: string[] = [];
  const raw = (name: InputName): string => {
    const v = getInput(name).trim();
    // The token's default is an expression the runner evaluates; unevaluated, it is no token.
    if (name === 'github-token') return v === DEFAULTS['github-token'] ? '' : v;
    return v === '' ? DEFAULTS[name] : v;
  };
  const bool = (name: InputName): boolean => {
    const v = raw(name);
    if (/^(true|yes|on)$/i.test(v)) return true;
    if (/^(false|no|off)$/i.test(v)) return false;
    problems.push(`input "${name}" must be true or false, not "${v}"`);
    return false;
  };
  const optional = (name: InputName): string | undefined => raw(name) || undefined;

  // In action.yml's order, so the problems are listed as the inputs are.
  const manifest = raw('manifest');
  const topologies = list(raw('topologies'));
  const checks = optional('checks');
  if (checks !== undefined) {
    try {
      new RegExp(checks);
    } catch (e) {
      problems.push(`input "checks" must be a regular expression: ${(e as Error).message}`);
    }
  }
  const junit = optional('junit');
  const json = optional('json');
  const html = optional('html');
  const keepUp = bool('keep-up');
  const timeout = optional('timeout');
  // A unit is required: a bare number reads as seconds in compose, as minutes to many people.
  const timeoutMs =
    timeout === undefined || !/[a-z]$/i.test(timeout) ? undefined : parseDuration(timeout);
  if (timeout !== undefined && (timeoutMs === undefined || timeoutMs <= 0)) {
    problems.push(
      `input "timeout" must be a duration with a unit, like 90s or 15m, not "${timeout}"`,
    );
  }
  const failOn = raw('fail-on');
  if (!['failure', 'error', 'never'].includes(failOn)) {
    problems.push(
      `input "fail-on" must be failure (fail the step when anything failed), error (only when the run could not be judged) or never, not "${failOn}"`,
    );
  }
  const workingDirectory = raw('working-directory');
  const dockerHost = optional('docker-host');
  if (dockerHost !== undefined && !/^(unix|tcp|ssh|npipe|http|https):\/\//.test(dockerHost)) {
    problems.push(
      `input "docker-host" must be an engine URL (unix://, tcp://, ssh:// or npipe://), not "${dockerHost}"`,
    );
  }
  const hostAddress = optional('host-address');
  if (hostAddress !== undefined && !/^[\w.:[\]-]+$/.test(hostAddress))
    problems.push(
      `input "host-address" must be a host name or IP address (no scheme, no port), not "${hostAddress}"`,
    );
  // Never quoted back: the value is a secret.
  const sshKey = optional('ssh-key');
  if (sshKey !== undefined && !/^-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(sshKey))
    problems.push(
      'input "ssh-key" must be a private key, the whole file from its "-----BEGIN … PRIVATE KEY-----" line (pass it from a secret)',
    );
  const sshKnownHosts = optional('ssh-known-hosts');
  const badLine = sshKnownHosts
    ?.split(/\r?\n/)
    .find((l) => l.trim() && !l.trim().startsWith('#') && l.trim().split(/\s+/).length < 3);
  if (badLine !== undefined)
    problems.push(
      `input "ssh-known-hosts" must be known_hosts lines ("HOST TYPE KEY", as ssh-keyscan prints them), not "${badLine.trim()}"`,
    );
  const env = envLines(raw('env'), problems);
  const secrets = secretsJson(raw('secrets'), problems);
  const inputs: ActionInputs = {
    manifest,
    topologies,
    checks,
    junit,
    json,
    html,
    keepUp,
    imageCache: bool('image-cache'),
    timeoutMs: timeoutMs && timeoutMs > 0 ? timeoutMs : undefined,
    failOn: failOn as FailOn,
    workingDirectory,
    dockerHost,
    hostAddress,
    summary: bool('summary'),
    annotations: bool('annotations'),
    prComment: bool('pr-comment'),
    githubToken: raw('github-token'),
    merge: list(raw('merge'), /\r?\n/),
    label: optional('label'),
    snapshot: optional('snapshot'),
    sshKey,
    sshKnownHosts,
    env,
    secrets,
  };
  if (inputs.prComment && !inputs.githubToken) {
    problems.push(
      'input "pr-comment" needs a token: pass "github-token" (its default is github.token)',
    );
  }
  if (problems.length) throw new InputError(problems);
  return inputs;
}

/**
 * The inputs that name files and folders, checked against the workspace before anything
 * starts: a working-directory that is missing or is a file, a manifest that is a folder, a
 * report path that is a folder (which would fail only after the whole run). Relative paths
 * are read as the run reads them: the working directory from the workspace, the rest from it.
 */
export function checkInputPaths(inputs: ActionInputs, workspace: string): void {
  const problems: string[] = [];
  const kind = (path: string) => {
    try {
      return statSync(path).isDirectory() ? 'folder' : 'file';
    } catch {
      return undefined;
    }
  };
  const dir = resolve(workspace, inputs.workingDirectory);
  const wd = inputs.workingDirectory;
  if (kind(dir) === undefined)
    problems.push(`input "working-directory" names "${wd}", which does not exist in ${workspace}`);
  else if (kind(dir) === 'file')
    problems.push(`input "working-directory" must be a folder, and "${wd}" is a file`);
  else {
    const manifest = resolve(dir, inputs.manifest);
    // The usual cause on a first run: no checkout step, so the workspace is empty.
    if (kind(manifest) === undefined && !inputs.merge.length)
      problems.push(
        `input "manifest": no file ${manifest} (workspace ${workspace}, working-directory "${wd}"). ` +
          'Check out the repository first (a step with `uses: actions/checkout@v4` before this one), ' +
          'or set "manifest" to the file\'s path relative to working-directory.',
      );
    else if (kind(manifest) === 'folder') {
      const inside = join(inputs.manifest, 'stackcheck.yml');
      problems.push(
        `input "manifest" must name a file, and "${inputs.manifest}" is a folder` +
          (kind(resolve(dir, inside)) === 'file' ? `: use ${inside}` : ''),
      );
    }
    const outputs = {
      junit: inputs.junit,
      json: inputs.json,
      html: inputs.html,
      snapshot: inputs.snapshot,
    };
    for (const [name, path] of Object.entries(outputs)) {
      if (path !== undefined && kind(resolve(dir, path)) === 'folder')
        problems.push(`input "${name}" must name a file to write, and "${path}" is a folder`);
    }
  }
  if (problems.length) throw new InputError(problems);
}

/**
 * The report files, absolute: the inputs, else the manifest's `report:`, else these names;
 * relative ones from `base`. Without inputs (they were invalid), the defaults.
 */
export function reportPaths(
  inputs: ActionInputs | undefined,
  suite: Suite | undefined,
  base = '.',
): { junit: string; json: string; html?: string } {
  return {
    junit: resolve(base, inputs?.junit ?? suite?.report.junit ?? 'stackcheck-junit.xml'),
    json: resolve(base, inputs?.json ?? suite?.report.json ?? 'stackcheck-results.json'),
    html: inputs?.html === undefined ? undefined : resolve(base, inputs.html),
  };
}

const VARIABLE = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `KEY=VALUE` lines; blank lines and `#` comments are skipped. A bad line is named by number, never quoted. */
function envLines(text: string, problems: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [i, line] of text.split(/\r?\n/).entries()) {
    if (!line.trim() || line.trim().startsWith('#')) continue;
    const eq = line.indexOf('=');
    const key = line.slice(0, eq).trim();
    if (eq < 0 || !VARIABLE.test(key)) {
      problems.push(
        `input "env" must be KEY=VALUE lines, KEY a variable name (letters, digits, _); line ${i + 1} is not`,
      );
      continue;
    }
    out[key] = line.slice(eq + 1);
  }
  return out;
}

/**
 * `toJSON(secrets)`: an object of names and values. The token the runner adds to every
 * `secrets` context is left out: the action has its own input for it. Values are never quoted.
 */
function secretsJson(text: string, problems: string[]): Record<string, string> {
  if (!text) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    problems.push(
      'input "secrets" must be a JSON object of names and values: ${{ toJSON(secrets) }}',
    );
    return {};
  }
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(parsed)) {
    if (key.toLowerCase() === 'github_token') continue;
    if (!VARIABLE.test(key) || typeof value !== 'string') {
      problems.push(
        `input "secrets" must map variable names to strings; "${key}" is not one, or its value is no string`,
      );
      continue;
    }
    out[key] = value;
  }
  return out;
}

/** Names separated by commas or new lines. */
function list(v: string, sep: RegExp = /[,\r\n]+/): string[] {
  return v
    .split(sep)
    .map((x) => x.trim())
    .filter(Boolean);
}
