import { resolve } from 'node:path';
import { formatDuration } from '../common/duration.js';
import { formatPos, type SourcePos } from '../common/errors.js';
import type { Progress, ProgressEvent } from '../orchestrator/progress.js';
import { repoPath } from './paths.js';
import type { RunResults, TopologyResult } from '../model/results.js';

type Write = (line: string) => void;
type ServiceEvent = Extract<ProgressEvent, { kind: 'service' }>;
type TopologyEvent = Extract<ProgressEvent, { kind: 'topology' }>;

const stderrLine: Write = (line) => process.stderr.write(`${line}\n`);

/** Whether STACKCHECK_VERBOSE asks for every service's every phase (as `--verbose` does). */
export function verboseFromEnv(env: NodeJS.ProcessEnv = process.env): boolean {
  return /^(1|true|yes)$/i.test(env.STACKCHECK_VERBOSE ?? '');
}

/** Progress as plain lines on stderr: bring-up folded per topology (every line when verbose), a line per check. */
export function consoleProgress(
  write: Write = stderrLine,
  opts: { verbose?: boolean } = {},
): Progress {
  const fold = new BringUpFold(opts.verbose);
  return {
    emit(e: ProgressEvent) {
      if (e.kind === 'note') {
        write(e.level === 'warn' ? `warning: ${e.text}` : e.text);
        return;
      }
      if (e.kind === 'check') {
        write(`  ${e.status.padEnd(7)} ${e.name} (${formatDuration(e.durationMs)})`);
        return;
      }
      if (e.kind === 'service' && e.phase === 'removed') return;
      for (const line of fold.lines(e)) write(line);
    },
  };
}

/** A service this much slower from its start to ready than that gets a line of its own. */
export const SLOW_MS = 10_000;

/** Phases worth a line as they happen: they take long (images), or the reader must act. */
const ANNOUNCED = new Set(['building', 'pulling', 'carrying']);
const READY = new Set(['healthy', 'running', 'completed']);

/** One service phase: the time since the run began, topology/service, the phase. */
export function serviceLine(e: ServiceEvent): string {
  const detail = e.detail && e.phase !== 'failed' ? `  ${e.detail}` : '';
  return `${formatDuration(e.atMs).padStart(7)}  ${e.topology}/${e.service}  ${e.phase}${detail}`;
}

/**
 * Bring-up progress folded per topology, so that 19 topologies read as 19 lines: one when all
 * of a topology's services are up, and a line of its own only for what the reader needs as it
 * happens (an image built, pulled or carried; a service slow to be ready). A service that fails
 * shows its topology's held-back lines with it. Verbose: every line, as it comes.
 */
export class BringUpFold {
  private readonly held = new Map<
    string,
    { firstMs: number; lines: string[]; started: Map<string, number> }
  >();

  constructor(private readonly verbose = false) {}

  /** The lines to print for this event now (none while a topology's lines are held back). */
  lines(e: ServiceEvent | TopologyEvent): string[] {
    if (e.kind === 'topology') return this.ended(e);
    const line = serviceLine(e);
    let t = this.held.get(e.topology);
    if (!t) this.held.set(e.topology, (t = { firstMs: e.atMs, lines: [], started: new Map() }));
    if (this.verbose) return [line];
    if (e.phase === 'started') t.started.set(e.service, e.atMs);
    if (e.phase === 'failed') return [...t.lines.splice(0), line];
    const startedMs = t.started.get(e.service);
    if (READY.has(e.phase) && startedMs !== undefined && e.atMs - startedMs >= SLOW_MS)
      return [`${line}  (${formatDuration(e.atMs - startedMs)} after it started)`];
    if (ANNOUNCED.has(e.phase)) return [line];
    t.lines.push(line);
    return [];
  }

  private ended(e: TopologyEvent): string[] {
    const t = this.held.get(e.topology);
    this.held.delete(e.topology);
    const head = `${formatDuration(e.atMs).padStart(7)}  ${e.topology} on ${e.node}: `;
    if (e.status !== 'up') return [...(t?.lines ?? []), `${head}${e.status}`];
    const took = t ? ` in ${formatDuration(e.atMs - t.firstMs)}` : '';
    return [`${head}${servicesUp(e.services)}${took}`];
  }
}

/** "3 services healthy", or "3 services up (2 healthy, 1 completed)". */
function servicesUp(services: { status: string }[]): string {
  const counts = new Map<string, number>();
  for (const s of services) counts.set(s.status, (counts.get(s.status) ?? 0) + 1);
  const n = `${services.length} ${services.length === 1 ? 'service' : 'services'}`;
  if (counts.size <= 1) return `${n} ${services[0]?.status ?? 'up'}`;
  return `${n} up (${[...counts].map(([status, k]) => `${k} ${status}`).join(', ')})`;
}

/** A manifest position as the user can open it: relative to the working directory. */
export function relativePos(pos: SourcePos, cwd = process.cwd()): string {
  return formatPos({ ...pos, file: repoPath(resolve(cwd, pos.file), cwd) });
}

/** The longest message a failure line carries; the reports have it whole. */
const MESSAGE_CHARS = 200;

/** A message's first line, cut to `max` characters with an ellipsis. */
export function cut(message: string, max = MESSAGE_CHARS): string {
  const [first = '', ...rest] = message.split('\n');
  if (first.length > max) return `${first.slice(0, max - 1)}…`;
  return rest.some((l) => l.trim()) ? `${first} …` : first;
}

export interface NotPassed {
  status: 'failed' | 'error';
  /** The check's name, or "scenario › step". */
  name: string;
  message: string;
  /** Where the check, or the step, is in the manifest. */
  source: SourcePos;
}

/**
 * Every check and scenario step that failed or errored, in manifest order: checks, then
 * scenarios. A scenario that errored with no step at fault (a fault it could not heal) stands
 * for itself.
 */
export function notPassed(r: RunResults): NotPassed[] {
  const bad = (s: string): s is 'failed' | 'error' => s === 'failed' || s === 'error';
  const out: NotPassed[] = [];
  for (const c of r.checks)
    if (bad(c.status))
      out.push({ status: c.status, name: c.name, message: c.message, source: c.source });
  for (const sc of r.scenarios ?? []) {
    if (!bad(sc.status)) continue;
    const steps = sc.steps.filter((s) => bad(s.status));
    for (const s of steps)
      out.push({
        status: s.status as NotPassed['status'],
        name: `${sc.name} › ${s.name}`,
        message: s.message,
        source: s.source,
      });
    if (!steps.length) {
      const unhealed = sc.faults.filter((f) => f.error).map((f) => `${f.description}: ${f.error}`);
      out.push({
        status: sc.status,
        name: sc.name,
        message: sc.message ?? `could not heal ${unhealed.join('; ') || 'its faults'}`,
        source: sc.source,
      });
    }
  }
  return out;
}

/** `file:line:col: failed: name: message`, one line each, as `stackcheck validate` prints. */
export function notPassedLines(r: RunResults, cwd = process.cwd()): string[] {
  return notPassed(r).map(
    (f) => `${relativePos(f.source, cwd)}: ${f.status}: ${f.name}: ${cut(f.message)}`,
  );
}

/**
 * The end of the run: each topology (one line when it passed, its services when it did not
 * or when verbose), every check and scenario step that did not pass with its message and
 * manifest position, what teardown left, and the verdict.
 */
export function printSummary(
  r: RunResults,
  write: Write = stderrLine,
  opts: { verbose?: boolean; cwd?: string } = {},
): void {
  write('');
  for (const t of r.topologies) {
    const how = t.attached ? ` (attached to compose project "${t.attached.project}")` : '';
    if (!opts.verbose && allFound(t)) {
      const ready = Math.max(...t.services.map((s) => s.healthyMs ?? 0));
      const by = ready > 0 ? ` by ${formatDuration(ready)}` : '';
      const gpuless = t.services.filter((s) => s.withoutGpu).map((s) => s.name);
      const noGpu = gpuless.length ? `; without their GPU: ${gpuless.join(', ')}` : '';
      write(
        `topology ${t.name} on ${t.node}: ${t.status}${how}, ${servicesUp(t.services)}${by}${noGpu}`,
      );
      continue;
    }
    write(`topology ${t.name} on ${t.node}: ${t.status}${how}`);
    for (const s of t.services) {
      const times =
        s.startedMs === undefined
          ? ''
          : `started ${formatDuration(s.startedMs)}` +
            (s.healthyMs === undefined ? '' : `, ready ${formatDuration(s.healthyMs)}`);
      const replicas = s.replicas > 1 ? ` ×${s.replicas}` : '';
      const found = t.attached?.services.find((x) => x.name === s.name);
      const note = found && found.state !== 'found' ? found.state : times;
      write(`  ${s.name.padEnd(24)}${replicas} ${s.status.padEnd(10)} ${note}`);
    }
    for (const x of t.attached?.services.filter((x) => x.state === 'extra') ?? [])
      write(
        `  ${x.name.padEnd(24)} extra      ${x.containers.join(', ')}: not in the compose files`,
      );
    if (t.failure) {
      const where = t.failure.source ? `${relativePos(t.failure.source, opts.cwd)}: ` : '';
      write('');
      write(`${where}${t.failure.message}`);
      for (const d of t.failure.details) write(`  ${d}`);
    }
  }
  const failing = notPassedLines(r, opts.cwd);
  if (failing.length) {
    write(`\n${failing.length} did not pass:`);
    for (const line of failing) write(line);
  }
  if (!r.teardown.kept && r.teardown.restored?.length) {
    write('\nattached stacks left as found:');
    for (const x of r.teardown.restored) write(`  ${x}`);
  }
  if (r.teardown.kept) {
    write(`\nkept running (--keep); remove with: stackcheck down --run ${r.runId}`);
  } else if (r.teardown.errors.length) {
    write(`\nteardown left something behind; \`stackcheck down --run ${r.runId}\` retries:`);
    for (const e of r.teardown.errors) write(`  ${e}`);
  }
  const verdict = r.interrupted ? `interrupted by ${r.interrupted}` : r.status;
  write(`\n${r.suite}: ${verdict} in ${formatDuration(r.durationMs)} (run ${r.runId})`);
}

/** A topology that passed with every service as expected: one line says it all. */
function allFound(t: TopologyResult): boolean {
  return (
    t.status === 'passed' &&
    t.services.length > 0 &&
    (t.attached?.services.every((x) => x.state === 'found') ?? true)
  );
}
