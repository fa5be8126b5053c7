import Docker from 'dockerode';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { RunResults } from '../../src/model/results.js';
import { CliProcess, workdir } from '../support/cli.js';
import { leftovers, NOTHING, uniqueSuite } from '../support/engine.js';
import { readLikeMikepenz, validateJUnit } from '../support/junit-readers.js';
import { newJob, runStep, Step, workflowCommands } from '../support/runner.js';

// dist/index.js and dist/post.js run exactly as the runner runs them (see support/runner.ts),
// against the real engine: outputs, job summary, annotations on stdout, state for post, and
// nothing left behind afterwards, also when the job is cancelled or its main step killed.

const APP = 'stackcheck-fixture/app:1';
const HEALTH = `healthcheck: { test: [CMD, wget, -qO-, "http://localhost:8080/health"], interval: 300ms, retries: 100 }`;

function manifest(suite: string, opts: { env?: string } = {}) {
  return `version: 1
name: ${suite}
topologies:
  web:
    publish: ephemeral
    wait: { timeout: 90s }
    services:
      app:
        image: ${APP}
        ports: ["8080"]
        ${opts.env ? `environment: { ${opts.env} }` : ''}
        ${HEALTH}
checks:
  - name: app is healthy
    http: { service: web/app, port: 8080, path: /health }
    expect: { status: 200, json: { ok: true } }
  - name: app answers a teapot
    http: { service: web/app, port: 8080, path: /status/200 }
    expect: { status: 418 }
`;
}

/** 1-based line and column of the `name:` key of the check with this name. */
function positionOf(text: string, check: string): { line: number; col: number } {
  const lines = text.split('\n');
  const i = lines.findIndex((l) => l.includes(`name: ${check}`));
  return { line: i + 1, col: lines[i]!.indexOf('name:') + 1 };
}

describe('the action, run as the runner runs it', () => {
  it('runs the suite, reports, annotates the failing check, and post leaves nothing', async () => {
    const suite = uniqueSuite('action');
    const text = manifest(suite);
    const workspace = workdir({ 'stack/stackcheck.yml': text });
    const job = newJob(workspace);

    const main = await runStep(job, 'dist/index.js', { 'working-directory': 'stack' });
    expect(main.code, main.stdout + main.stderr).toBe(1);

    // Outputs, and the report files they name.
    expect(main.outputs).toMatchObject({
      status: 'failed',
      passed: '2',
      failed: '1',
      skipped: '0',
    });
    expect(main.outputs.junit).toBe(join(workspace, 'stack', 'stackcheck-junit.xml'));
    const junit = readFileSync(main.outputs.junit!, 'utf8');
    expect(validateJUnit(junit, { extended: true })).toEqual([]);
    const results = JSON.parse(readFileSync(main.outputs.json!, 'utf8')) as RunResults;
    expect(results.status).toBe('failed');

    // The failing check is annotated at its manifest line and column, relative to the repository.
    const at = positionOf(text, 'app answers a teapot');
    const errors = workflowCommands(main.stdout, 'error');
    expect(errors[0]).toEqual({
      props: {
        title: 'check failed: app answers a teapot',
        file: 'stack/stackcheck.yml',
        line: String(at.line),
        col: String(at.col),
      },
      message: expect.stringMatching(
        /^status 200, expected 418\nrequest: http:\/\/127\.0\.0\.1:\d+\/status\/200\nvia: runner\nstatus: 200/,
      ),
    });
    expect(errors.at(-1)!.message).toBe('stackcheck: failed');
    // …and JUnit points mikepenz's reader at the same line: it takes the path as written, so
    // relative to the repository, not to working-directory.
    expect(readLikeMikepenz(junit).find((c) => c.name === 'app answers a teapot')).toMatchObject({
      file: 'stack/stackcheck.yml',
      line: at.line,
      status: 'failure',
    });

    // The job summary: headline, the checks, the failure with evidence and log lines, a diagram,
    // the services' table; positions relative to the repository.
    expect(main.summary).toMatch(new RegExp(`^## ❌ stackcheck: ${suite} failed\\n`));
    expect(main.summary).toContain('### ❌ app answers a teapot');
    expect(main.summary).toContain(`\`stack/stackcheck.yml:${at.line}:${at.col}\``);
    expect(main.summary).toContain('Lines of `stack/stackcheck.yml`.');
    expect(main.summary).toMatch(/Last \d+ log lines of <code>web\/app<\/code>/);
    expect(main.summary).toContain('GET /status/200 200');
    expect(main.summary).toContain('| ✅ web | local | app | healthy | healthy |');
    expect(main.summary).toContain('```mermaid');

    // The log: a group per phase, then the compact table.
    expect(main.stdout).toContain('::group::Bring-up');
    expect(main.stdout).toContain('::group::Checks and scenarios');
    expect(main.stdout).toMatch(/FAILED +\S+ +app answers a teapot — status 200, expected 418/);

    // State for post: the run this job started.
    const state = JSON.parse(job.state.stackcheck!) as { runs: { runId: string }[] };
    expect(state.runs.map((r) => r.runId)).toEqual([results.runId]);

    const post = await runStep(job, 'dist/post.js', { 'working-directory': 'stack' });
    expect(post.code, post.stdout + post.stderr).toBe(0);
    expect(await leftovers({ suite })).toEqual(NOTHING);
    // Post is idempotent.
    expect((await runStep(job, 'dist/post.js')).code).toBe(0);
  });

  it('stops on SIGINT (a cancelled job), tears down, reports, and post finds nothing left', async () => {
    const suite = uniqueSuite('action-cancel');
    const workspace = workdir({
      'stackcheck.yml': manifest(suite, { env: 'HEALTHY_AFTER: "60000"' }),
    });
    const job = newJob(workspace);
    const main = new Step(job, 'dist/index.js', {}, { STACKCHECK_VERBOSE: '1' });
    await main.waitFor(/web\/app {2}started/, 90_000);
    main.child.kill('SIGINT');
    const r = await main.done;
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stdout).toContain('SIGINT: stopping and removing what this run created');
    expect(r.outputs.status).toBe('error');
    // Reports and every output, as on any other path.
    for (const k of ['passed', 'failed', 'errors', 'skipped'])
      expect(r.outputs[k]).toMatch(/^\d+$/);
    expect(JSON.parse(readFileSync(r.outputs.json!, 'utf8'))).toMatchObject({
      interrupted: 'SIGINT',
    });
    expect(existsSync(r.outputs.junit!)).toBe(true);
    expect(r.summary).toMatch(/^## ⏹️ stackcheck: \S+ interrupted \(SIGINT\)/);
    expect(workflowCommands(r.stdout, 'error')[0]!.props.title).toBe('run interrupted (SIGINT)');
    expect(await leftovers({ suite })).toEqual(NOTHING);

    const post = await runStep(job, 'dist/post.js');
    expect(post.code).toBe(0);
    expect(await leftovers({ suite })).toEqual(NOTHING);
  });

  it('post removes what a killed main left, found through the saved state', async () => {
    const suite = uniqueSuite('action-killed');
    const workspace = workdir({
      'stackcheck.yml': manifest(suite, { env: 'HEALTHY_AFTER: "60000"' }),
    });
    const job = newJob(workspace);
    const main = new Step(job, 'dist/index.js', {}, { STACKCHECK_VERBOSE: '1' });
    await main.waitFor(/web\/app {2}started/, 90_000);
    main.child.kill('SIGKILL');
    await main.done;
    expect((await leftovers({ suite })).containers).toHaveLength(1);

    const runId = (JSON.parse(job.state.stackcheck!) as { runs: { runId: string }[] }).runs[0]!
      .runId;
    const post = await runStep(job, 'dist/post.js');
    expect(post.code, post.stdout + post.stderr).toBe(0);
    expect(post.stdout).toContain(`removed this job’s run ${runId}`);
    expect(await leftovers({ suite })).toEqual(NOTHING);
  });

  it('stops at its time limit, reports it, and leaves nothing', async () => {
    const suite = uniqueSuite('action-timeout');
    const job = newJob(
      workdir({ 'stackcheck.yml': manifest(suite, { env: 'HEALTHY_AFTER: "60000"' }) }),
    );
    const r = await runStep(job, 'dist/index.js', { timeout: '3s' });
    const log = r.stdout + r.stderr;
    expect(r.code, log).toBe(1);
    expect(r.outputs.status, log).toBe('error');
    expect(r.summary, log).toMatch(/^## ⏹️ stackcheck: \S+ interrupted \(time limit reached\)/);
    expect(await leftovers({ suite }), log).toEqual(NOTHING);
  });

  it('post never touches a live run of another job on the same engine', async () => {
    const suite = uniqueSuite('action-other-job');
    const dir = workdir({ 'stackcheck.yml': manifest(suite, { env: 'HEALTHY_AFTER: "60000"' }) });
    const other = new CliProcess(['run', '--verbose'], { cwd: dir });
    try {
      await other.waitFor(/web\/app {2}started/, 90_000);
      // A later job on this runner, whose main never started: post sweeps only stale runs.
      const post = await runStep(newJob(workdir({})), 'dist/post.js');
      expect(post.code).toBe(0);
      expect((await leftovers({ suite })).containers).toHaveLength(1);
    } finally {
      other.child.kill('SIGINT');
      await other.done;
    }
    expect(await leftovers({ suite })).toEqual(NOTHING);
  });

  it('keeps the topology up for later steps with keep-up, and post removes it', async () => {
    const suite = uniqueSuite('action-keep');
    const workspace = workdir({
      'stackcheck.yml': manifest(suite).replace(/ {2}- name: app answers a teapot[^]*$/, ''),
    });
    const job = newJob(workspace);
    const main = await runStep(job, 'dist/index.js', {
      'keep-up': 'true',
      summary: 'false',
      annotations: 'false',
    });
    expect(main.code, main.stdout + main.stderr).toBe(0);
    expect(main.outputs).toMatchObject({ status: 'passed', passed: '2', failed: '0' });
    expect(main.summary).toBe('');
    expect((await leftovers({ suite })).containers).toHaveLength(1);

    const post = await runStep(job, 'dist/post.js');
    expect(post.code).toBe(0);
    expect(await leftovers({ suite })).toEqual(NOTHING);
  });

  it('rejects bad inputs, naming each, and never touches an engine', async () => {
    const job = newJob(workdir({}));
    const r = await runStep(job, 'dist/index.js', { 'fail-on': 'sometimes', timeout: 'soon' });
    expect(r.code).toBe(1);
    expect(workflowCommands(r.stdout, 'error').map((e) => e.message)).toEqual([
      'input "timeout" must be a duration with a unit, like 90s or 15m, not "soon"',
      expect.stringContaining('input "fail-on" must be failure'),
      'stackcheck: 2 invalid input(s); see the errors above',
    ]);
    // The reports are there all the same, each bad input an error, so upload steps find them.
    expect(r.outputs).toMatchObject({ status: 'error', failed: '2', errors: '2', passed: '0' });
    const junit = readFileSync(r.outputs.junit!, 'utf8');
    expect(junit).toMatch(/<testsuites [^>]*failures="0" errors="2"/);
    expect(readLikeMikepenz(junit).map((c) => c.name)).toEqual([
      expect.stringContaining('"timeout"'),
      expect.stringContaining('"fail-on"'),
    ]);
    expect(JSON.parse(readFileSync(r.outputs.json!, 'utf8'))).toMatchObject({ status: 'error' });
  });

  it('a missing manifest (no checkout step) names the path, the workspace and the fix, and reports', async () => {
    const workspace = workdir({});
    const r = await runStep(newJob(workspace), 'dist/index.js');
    expect(r.code).toBe(1);
    const [problem] = workflowCommands(r.stdout, 'error');
    expect(problem!.message).toContain(`no file ${join(workspace, 'stackcheck.yml')}`);
    expect(problem!.message).toContain(`workspace ${workspace}`);
    expect(problem!.message).toContain('Check out the repository first');
    expect(problem!.message).toContain('actions/checkout');
    expect(r.outputs).toMatchObject({ status: 'error', errors: '1' });
    expect(existsSync(r.outputs.junit!)).toBe(true);
  });

  it('a manifest with typos leaves JUnit and JSON, each typo an errored case at its line', async () => {
    const text = [
      'version: 1',
      'name: typos',
      'topologies:',
      '  web:',
      '    compose: compose.yml',
      '    publsh: ephemeral',
      '    wiat: { timeout: 1m }',
      '',
    ].join('\n');
    const workspace = workdir({
      'stack/stackcheck.yml': text,
      'stack/compose.yml': `services:\n  app:\n    image: ${APP}\n`,
    });
    const r = await runStep(newJob(workspace), 'dist/index.js', { 'working-directory': 'stack' });
    expect(r.code).toBe(1);
    expect(r.outputs).toMatchObject({ status: 'error', passed: '0', skipped: '0' });
    expect(r.outputs.junit).toBe(join(workspace, 'stack', 'stackcheck-junit.xml'));
    const junit = readFileSync(r.outputs.junit!, 'utf8');
    expect(validateJUnit(junit, { extended: true })).toEqual([]);
    const cases = readLikeMikepenz(junit);
    expect(r.outputs).toMatchObject({ failed: '2', errors: '2' });
    expect(junit).toMatch(/<testsuites [^>]*failures="0" errors="2"/);
    // mikepenz's reader counts an <error> as a failure: what it annotates is the file and line.
    expect(cases).toEqual([
      expect.objectContaining({ file: 'stack/stackcheck.yml', line: 6, status: 'failure' }),
      expect.objectContaining({ file: 'stack/stackcheck.yml', line: 7, status: 'failure' }),
    ]);
    expect(cases[0]!.details).toContain('Did you mean "publish"?');
    const results = JSON.parse(readFileSync(r.outputs.json!, 'utf8')) as RunResults;
    expect(results.status).toBe('error');
    expect(results.problems!.map((p) => p.pos?.line)).toEqual([6, 7]);
  });

  it('an engine that refuses the network: an errored case and outputs that name the topology', async () => {
    const suite = uniqueSuite('action-net-refused');
    // A subnet the engine already uses: it refuses the network before any service starts.
    const networks = await new Docker().listNetworks();
    const taken = networks.flatMap((n) => n.IPAM?.Config ?? []).find((c) => c.Subnet)!.Subnet;
    const workspace = workdir({
      'stackcheck.yml': `version: 1
name: ${suite}
topologies:
  shop:
    compose: compose.yml
checks:
  - name: app answers
    http: { service: shop/app, port: 8080, path: /health }
    expect: { status: 200 }
`,
      'compose.yml': `services:
  app:
    image: ${APP}
    networks: [lan]
networks:
  lan:
    ipam:
      config:
        - subnet: ${taken}
`,
    });
    const r = await runStep(newJob(workspace), 'dist/index.js');
    expect(r.code, r.stdout).toBe(1);
    expect(r.outputs).toMatchObject({ status: 'failed', failed: '1', errors: '1', skipped: '2' });
    const junit = readFileSync(r.outputs.junit!, 'utf8');
    expect(junit).toMatch(/<testsuites [^>]*errors="1"/);
    expect(junit).toMatch(/<error message="node &quot;local&quot; refused to create network/);
    expect(readLikeMikepenz(junit).find((c) => c.status === 'failure')).toMatchObject({
      name: 'topology shop is set up',
      file: 'compose.yml',
      line: 6,
    });
    const [annotation] = workflowCommands(r.stdout, 'error');
    expect(annotation!.props).toMatchObject({ title: 'topology shop could not be set up' });
    expect(annotation!.message).toMatch(/refused to create network "lan": .+/);
    expect(annotation!.message).toContain('services that use it, not started: app');
    expect(await leftovers({ suite })).toEqual(NOTHING);
  });

  it("a reusable workflow's caller: its secret and variable reach ${VAR} in the manifest, masked", async () => {
    // The step as the reusable workflow writes it; the runner evaluates its expressions with
    // the caller's inputs and (under `secrets: inherit`) the caller's secrets.
    const workflow = parse(readFileSync('.github/workflows/stackcheck.yml', 'utf8')) as {
      jobs: { stackcheck: { steps: { id?: string; with?: Record<string, string> }[] } };
    };
    const step = workflow.jobs.stackcheck.steps.find((s) => s.id === 'stackcheck')!;
    expect(step.with).toMatchObject({
      env: '${{ inputs.env }}',
      secrets: '${{ toJSON(secrets) }}',
    });
    const secret = `pin-${Math.random().toString(36).slice(2, 10)}`;
    const callerSecrets = { SHOP_PIN: secret, github_token: 'ghs_caller' };
    const suite = uniqueSuite('action-secrets');
    const workspace = workdir({
      'stackcheck.yml': `version: 1
name: ${suite}
topologies:
  web:
    publish: ephemeral
    wait: { timeout: 90s }
    services:
      app:
        image: ${APP}
        ports: ["8080"]
        environment: { SHOP_PIN: "\${SHOP_PIN:?}", REGION: "\${REGION:?}" }
        ${HEALTH}
checks:
  - name: the secret reached the service
    http: { service: web/app, port: 8080, path: /env/SHOP_PIN }
    expect: { status: 200, body: "\${SHOP_PIN}" }
  - name: the variable reached the manifest
    http: { service: web/app, port: 8080, path: /env/REGION }
    expect: { status: 200, body: "\${REGION}" }
  - name: a failing check that shows the secret
    http: { service: web/app, port: 8080, path: /env/SHOP_PIN }
    expect: { status: 418 }
`,
    });
    const job = newJob(workspace);
    const r = await runStep(job, 'dist/index.js', {
      env: 'REGION=eu-west-9\n',
      secrets: JSON.stringify(callerSecrets, null, 2),
    });
    const log = r.stdout + r.stderr;
    expect(r.outputs, log).toMatchObject({ status: 'failed', passed: '3', failed: '1' });
    // Masked for the runner before anything else is printed…
    expect(r.stdout.indexOf(`::add-mask::${secret}`)).toBeGreaterThanOrEqual(0);
    const printed = log
      .split('\n')
      .filter((l) => !l.startsWith('::add-mask::'))
      .join('\n');
    expect(printed).not.toContain(secret);
    // …and never in a report, though a failing check's evidence held it.
    for (const file of [r.outputs.junit!, r.outputs.json!])
      expect(readFileSync(file, 'utf8')).not.toContain(secret);
    expect(r.summary).not.toContain(secret);
    expect(readFileSync(r.outputs.json!, 'utf8')).toContain(
      'a failing check that shows the secret',
    );
    expect(printed).not.toContain('ghs_caller');
    expect((await runStep(job, 'dist/post.js')).code).toBe(0);
    expect(await leftovers({ suite })).toEqual(NOTHING);
  });

  it('on a GitHub Enterprise Server: GitHub, annotations and the summary once', async () => {
    const workspace = workdir({
      'stackcheck.yml': 'version: 1\nname: ghes\ntopologies:\n  web:\n    servics: {}\n',
    });
    const r = await runStep(
      newJob(workspace),
      'dist/index.js',
      {},
      {
        GITHUB_SERVER_URL: 'https://git.corp.example',
        GITHUB_API_URL: 'https://git.corp.example/api/v3',
      },
    );
    expect(r.code).toBe(1);
    expect(workflowCommands(r.stdout, 'error')).toHaveLength(3); // two problems, then the verdict
    expect(r.stdout).not.toContain('shows no annotations');
    expect(r.stdout).not.toContain('Job summary (markdown)');
    expect(r.summary.match(/cannot run/g)).toHaveLength(1);
  });

  it('on Gitea: annotations and the summary go to the log, saying so, and a bad manifest is pointed at', async () => {
    const workspace = workdir({
      'stackcheck.yml': 'version: 1\nname: gitea\ntopologies:\n  web:\n    servics: {}\n',
    });
    const job = newJob(workspace);
    const r = await runStep(
      job,
      'dist/index.js',
      {},
      { GITEA_ACTIONS: 'true', GITHUB_STEP_SUMMARY: undefined },
    );
    expect(r.code).toBe(1);
    expect(r.outputs.status).toBe('error');
    const [problem] = workflowCommands(r.stdout, 'error');
    expect(problem!.props).toMatchObject({
      title: 'stackcheck: invalid manifest',
      file: 'stackcheck.yml',
      line: '5',
    });
    expect(r.stdout).toContain(
      'annotations: Gitea shows no annotations beside the code; the same 2, as log lines:',
    );
    expect(r.stdout).toMatch(/error: stackcheck\.yml:5:\d+: stackcheck: invalid manifest/);
    expect(r.stdout).toContain(
      'job summary: skipped, this runner offers none (no GITHUB_STEP_SUMMARY); here it is instead:',
    );
    expect(r.stdout).toContain('## ⛔ stackcheck: `stackcheck.yml` cannot run');
    expect(existsSync(join(workspace, 'stackcheck-junit.xml'))).toBe(true);
  });
});
