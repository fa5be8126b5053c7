import { setMaxListeners } from 'node:events';
import { errorMessage } from '../common/errors.js';
import type { Engine } from '../engine/engine.js';
import { timeoutSignal } from '../common/timeout.js';

const LOG_TAIL = 20;
const HEALTH_TAIL = 3;
const DIAGNOSE_MS = 10_000;

/**
 * What a reviewer needs to see about containers that failed: state, exit code, the last
 * health checks and the last log lines. Best effort: a container already gone says so.
 */
export async function diagnose(engine: Engine, containerIds: string[]): Promise<string[]> {
  const signal = timeoutSignal(DIAGNOSE_MS);
  // Every container is read at once (state and logs), each call listening on it.
  setMaxListeners(0, signal);
  const parts = await Promise.all(
    containerIds.map(async (id) => {
      try {
        const [s, logs] = await Promise.all([
          engine.inspectContainer(id, signal),
          engine.containerLogs(id, LOG_TAIL, signal),
        ]);
        const lines = [
          `container ${s.name}: ${s.status}` +
            (s.running ? '' : `, exit code ${s.exitCode}`) +
            (s.health
              ? `, health ${s.health.status} (failing streak ${s.health.failingStreak})`
              : '') +
            (s.restartCount ? `, restarted ${s.restartCount} times` : '') +
            (s.oomKilled ? ', killed: out of memory' : '') +
            (s.error ? `, engine error: ${s.error}` : ''),
        ];
        const checks = s.health?.log.slice(-HEALTH_TAIL) ?? [];
        if (checks.length) {
          lines.push('  last health checks:');
          for (const c of checks)
            lines.push(
              `    exit ${c.exitCode}: ${c.output.trim().replace(/\s*\n\s*/g, ' | ') || '(no output)'}`,
            );
        }
        const logLines = logs.trimEnd().split('\n').filter(Boolean);
        lines.push(logLines.length ? `  last ${logLines.length} log lines:` : '  (no log output)');
        for (const l of logLines) lines.push(`    ${l}`);
        return lines;
      } catch (e) {
        return [`container ${id.slice(0, 12)}: cannot be inspected (${errorMessage(e)})`];
      }
    }),
  );
  return parts.flat();
}
