import { formatDuration } from '../common/duration.js';
import { formatPos } from '../common/errors.js';
import type { Progress, ProgressEvent } from '../orchestrator/progress.js';
import type { RunResults } from './results.js';

type Write = (line: string) => void;

const stderrLine: Write = (line) => process.stderr.write(`${line}\n`);

/** Progress as plain lines on stderr: one per service phase, with the time since the run began. */
export function consoleProgress(write: Write = stderrLine): Progress {
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
      if (e.phase === 'removed') return;
      const at = formatDuration(e.atMs).padStart(7);
      const detail = e.detail && e.phase !== 'failed' ? `  ${e.detail}` : '';
      write(`${at}  ${e.topology}/${e.service}  ${e.phase}${detail}`);
    },
  };
}

/** The end-of-run table and the failures with their evidence. */
export function printSummary(r: RunResults, write: Write = stderrLine): void {
  write('');
  for (const t of r.topologies) {
    const how = t.attached ? ` (attached to compose project "${t.attached.project}")` : '';
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
      write('');
      write(`${t.failure.source ? `${formatPos(t.failure.source)}: ` : ''}${t.failure.message}`);
      for (const d of t.failure.details) write(`  ${d}`);
    }
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
