import { formatDuration } from '../common/duration.js';
import type { RunResults } from '../model/results.js';
import { cut, relativePos } from './console.js';

/** Where the action's log goes: plain lines, and collapsible groups (one open at a time). */
export interface Log {
  line(text: string): void;
  startGroup(name: string): void;
  endGroup(): void;
}

/**
 * The end of the log: one group per topology with its services (and why it failed), then a
 * compact table of every check and scenario, failures first, left open to read at a glance.
 */
export function printResults(r: RunResults, log: Log): void {
  for (const t of r.topologies) {
    log.startGroup(`${mark(t.status)} topology ${t.name} on ${t.node}: ${t.status}`);
    for (const s of t.services) {
      const times =
        s.startedMs === undefined
          ? ''
          : `started ${formatDuration(s.startedMs)}` +
            (s.healthyMs === undefined
              ? ''
              : `, ready after ${formatDuration(s.healthyMs - s.startedMs)}`);
      const replicas = s.replicas > 1 ? ` ×${s.replicas}` : '';
      log.line(`  ${(s.name + replicas).padEnd(28)} ${s.status.padEnd(10)} ${times}`);
    }
    if (t.failure) {
      log.line('');
      log.line(
        `${t.failure.source ? `${relativePos(t.failure.source)}: ` : ''}${t.failure.message}`,
      );
      for (const d of t.failure.details) log.line(`  ${d}`);
    }
    log.endGroup();
  }
  const rows = [
    ...r.checks.map((c) => ({
      status: c.flaky ? 'flaky' : c.status,
      time: c.durationMs,
      name: c.name,
      note:
        c.status === 'passed' && !c.flaky ? '' : `${cut(c.message)}  (${relativePos(c.source)})`,
    })),
    ...(r.scenarios ?? []).map((s) => {
      const step = s.steps.find((x) => x.status === 'failed' || x.status === 'error');
      return {
        status: s.status,
        time: s.durationMs,
        name: `scenario: ${s.name}${step ? ` › ${step.name}` : ''}`,
        note:
          s.status === 'passed'
            ? ''
            : `${cut(step?.message ?? s.message ?? '')}  (${relativePos(step?.source ?? s.source)})`,
      };
    }),
  ];
  const rank = { failed: 0, error: 1, flaky: 2, skipped: 3, passed: 4 } as Record<string, number>;
  rows.sort((a, b) => (rank[a.status] ?? 5) - (rank[b.status] ?? 5));
  if (rows.length) {
    log.line('');
    log.line(`${'result'.padEnd(8)} ${'time'.padStart(7)}  check`);
    for (const row of rows) {
      const status = row.status === 'passed' ? 'passed' : row.status.toUpperCase();
      log.line(
        `${status.padEnd(8)} ${formatDuration(row.time).padStart(7)}  ${row.name}${row.note ? ` — ${row.note}` : ''}`,
      );
    }
  }
  const verdict = r.interrupted ? `interrupted (${r.interrupted})` : r.status;
  log.line('');
  log.line(`${r.suite}: ${verdict} in ${formatDuration(r.durationMs)} (run ${r.runId})`);
}

function mark(status: string): string {
  return status === 'passed' ? '✓' : status === 'cancelled' ? '–' : '✗';
}
