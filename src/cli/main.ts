import { existsSync, readFileSync } from 'node:fs';
import { runChecks } from '../checks/runner.js';
import { realClock } from '../common/clock.js';
import { errorMessage, formatPos, formatProblem, isUserError } from '../common/errors.js';
import { connect } from '../engine/connect.js';
import { DEFAULT_NODE, loadSuites } from '../manifest/load.js';
import { manifestJsonSchema } from '../manifest/schema.js';
import type { NodeSpec, Suite } from '../model/suite.js';
import { plan as makePlan } from '../orchestrator/plan.js';
import { sweep, type SweepSelection } from '../orchestrator/sweep.js';
import { consoleProgress, printSummary, verboseFromEnv } from '../report/console.js';
import { mergeResults, readResultFiles } from '../report/merge.js';
import { exitCodeFor } from '../model/results.js';
import { writeReports } from '../report/files.js';
import { loadManifest, reportFiles, runSuites } from '../run-manifest.js';
import { parseCommand, USAGE, type Command } from './args.js';
import type { Snapshot } from '../snapshot/model.js';
import { requireSnapshots } from '../snapshot/collect.js';
import { diffCommand, snapshotsOnly, writeSnapshots } from './snapshot.js';
import { configCommand } from './config.js';

const out = (s: string) => process.stdout.write(`${s}\n`);
const err = (s: string) => process.stderr.write(`${s}\n`);

/** Runs one CLI command and returns its exit code; never throws. */
export async function main(argv: string[]): Promise<number> {
  try {
    return await dispatch(parseCommand(argv));
  } catch (e) {
    if (isUserError(e)) {
      err(e.problems.map((p) => `error: ${formatProblem(p)}`).join('\n'));
      return 2;
    }
    err(`internal error: ${errorMessage(e)}`);
    if (process.env.STACKCHECK_DEBUG) err((e as Error).stack ?? '');
    else
      err('This is a bug in stackcheck; set STACKCHECK_DEBUG=1 for the stack trace and report it.');
    return 3;
  }
}

async function dispatch(cmd: Command): Promise<number> {
  switch (cmd.name) {
    case 'help':
      out(USAGE);
      return 0;
    case 'version':
      out(version());
      return 0;
    case 'schema':
      out(JSON.stringify(manifestJsonSchema(), null, 2));
      return 0;
    case 'validate':
      return validateCommand(cmd.manifest);
    case 'config':
      return configCommand(cmd, out, err);
    case 'run':
      return runCommand(cmd);
    case 'down':
      return downCommand(cmd);
    case 'merge':
      return mergeCommand(cmd);
    case 'snapshot':
      return runCommand(
        {
          name: 'run',
          manifest: cmd.manifest,
          keep: false,
          topologies: cmd.topologies,
          snapshot: cmd.out,
        },
        { snapshotsOnly: true },
      );
    case 'diff':
      return diffCommand(cmd, out, err);
  }
}

function comboLabel(suite: Suite): string {
  return suite.matrix
    ? ` [${Object.entries(suite.matrix)
        .map(([k, v]) => `${k}=${v}`)
        .join(', ')}]`
    : '';
}

/** The manifest and compose files, and the checks that need no engine (port collisions). */
async function validateCommand(manifest: string): Promise<number> {
  let failed = false;
  for (const suite of loadSuites(manifest)) {
    for (const w of suite.warnings) err(`warning: ${formatPos(w.pos)}: ${w.message}`);
    // What `run` refuses before it touches an engine (dependency cycles, ...), refused here too.
    makePlan(suite, 'validate');
    const staticChecks = suite.checks.filter((c) => c.phase === 'static');
    const results = await runChecks(staticChecks, {
      suite,
      clock: realClock,
      signal: new AbortController().signal,
    });
    for (const r of results) {
      const line = `${formatPos(r.source)}: ${r.status}: ${r.name}: ${r.message}`;
      if (r.status === 'passed') out(line);
      else err(line);
    }
    const bad = results.some((r) => r.status === 'failed' || r.status === 'error');
    failed ||= bad;
    const services = suite.topologies.reduce(
      (n, t) => n + Object.keys(t.project.services).length,
      0,
    );
    out(
      `${suite.file}${comboLabel(suite)}: ${bad ? 'invalid' : 'valid'} ` +
        `(${suite.topologies.length} topologies, ${services} services, ${suite.checks.length} checks)`,
    );
  }
  return failed ? 1 : 0;
}

async function runCommand(
  cmd: Extract<Command, { name: 'run' }>,
  how: { snapshotsOnly?: boolean } = {},
): Promise<number> {
  const loaded = loadManifest(cmd.manifest, {
    filter: { topologies: cmd.topologies, checks: cmd.checks },
  });
  const suites = how.snapshotsOnly ? snapshotsOnly(loaded.suites) : loaded.suites;
  if (cmd.snapshot) requireSnapshots(suites);
  const snapshots: Snapshot[] | undefined = cmd.snapshot ? [] : undefined;
  for (const n of loaded.notes) err(n);
  const controller = new AbortController();
  let signals = 0;
  const onSignal = (name: 'SIGINT' | 'SIGTERM') => {
    signals++;
    if (signals === 1) {
      err(`\n${name}: stopping and removing what this run created…`);
      controller.abort(name);
    } else {
      err(`${name} again: exiting now; \`stackcheck down\` or the next run removes what is left.`);
      process.exit(name === 'SIGINT' ? 130 : 143);
    }
  };
  const handlers = { SIGINT: () => onSignal('SIGINT'), SIGTERM: () => onSignal('SIGTERM') };
  process.on('SIGINT', handlers.SIGINT).on('SIGTERM', handlers.SIGTERM);
  onBrokenPipe = () => controller.abort('SIGPIPE');
  watchBrokenPipe();
  const verbose = cmd.verbose || verboseFromEnv();
  try {
    const results = await runSuites(suites, {
      signal: controller.signal,
      progress: consoleProgress(undefined, { verbose }),
      keep: cmd.keep,
      concurrency: cmd.concurrency,
      snapshots,
    });
    printSummary(results, undefined, { verbose });
    writeReports(results, reportFiles(cmd, suites[0]));
    const complete =
      !snapshots || writeSnapshots(cmd.snapshot!, suites[0]!.name, snapshots, out, err);
    return Math.max(exitCodeFor(results), complete ? 0 : 1);
  } finally {
    process.off('SIGINT', handlers.SIGINT).off('SIGTERM', handlers.SIGTERM);
    onBrokenPipe = undefined;
  }
}

/** What a write to a reader that went away does to the run under way, if any. */
let onBrokenPipe: (() => void) | undefined;

/**
 * A reader that went away (`stackcheck run | head`) fails every later write with EPIPE. Unheard,
 * that error ends the process mid-run with the stack still up; here it stops the run, which
 * tears down as after a signal (exit 141, as for SIGPIPE), and later writes go nowhere. The
 * listener stays for the process's life: a write's error is reported a tick after it, possibly
 * once the run has ended.
 */
function watchBrokenPipe(): void {
  for (const stream of [process.stdout, process.stderr])
    if (!stream.listeners('error').includes(brokenPipe)) stream.on('error', brokenPipe);
}

function brokenPipe(e: NodeJS.ErrnoException): void {
  if (e.code !== 'EPIPE') throw e;
  onBrokenPipe?.();
}

/** Several runs' results (a matrix of runners, before and after a sync) as one report. */
function mergeCommand(cmd: Extract<Command, { name: 'merge' }>): number {
  const runs = readResultFiles(cmd.paths);
  for (const r of runs) err(`${r.file}: ${r.results.suite} (${r.label}): ${r.results.status}`);
  const results = mergeResults(runs);
  printSummary(results);
  writeReports(results, cmd);
  return exitCodeFor(results);
}

async function downCommand(cmd: Extract<Command, { name: 'down' }>): Promise<number> {
  const manifest = cmd.manifest ?? (existsSync('stackcheck.yml') ? 'stackcheck.yml' : undefined);
  const nodes: NodeSpec[] = manifest
    ? Object.values(loadSuites(manifest)[0]!.nodes)
    : [{ name: DEFAULT_NODE, labels: [] }];
  const selection: SweepSelection = cmd.runId
    ? { runId: cmd.runId }
    : cmd.all
      ? { all: true }
      : { stale: true };
  let failed = false;
  let found = 0;
  for (const node of nodes) {
    const { engine, notes } = await connect(node);
    for (const n of notes) err(`warning: ${n}`);
    try {
      for (const { run: r, report } of await sweep(engine, selection)) {
        found++;
        out(
          `node ${node.name}: run ${r.runId} (suite ${r.suite}): removed ${report.containers} containers, ` +
            `${report.networks} networks, ${report.volumes} volumes`,
        );
        for (const r of report.restored ?? []) out(`  attached stack left as found: ${r}`);
        for (const e of report.errors) err(`  could not remove: ${e}`);
        failed ||= report.errors.length > 0;
      }
    } finally {
      await engine.close();
    }
  }
  if (!found) out(cmd.runId ? `no resources of run ${cmd.runId} found` : 'nothing to remove');
  return failed ? 1 : 0;
}

function version(): string {
  const pkg = new URL('../package.json', import.meta.url);
  try {
    return (JSON.parse(readFileSync(pkg, 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}
