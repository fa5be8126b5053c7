import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { LABEL } from '../common/labels.js';

/** Who a run is, carried as labels on everything it creates. */
export interface RunIdentity {
  runId: string;
  suite: string;
  owner: string;
  deadlineMs: number;
}

/** Marks a run left up on purpose (`--keep`): only its deadline, `down --run` or `down --all` end it. */
const KEPT = 'kept';

export function newRunIdentity(
  suite: string,
  lifetimeMs: number,
  opts: { keep?: boolean; now?: number } = {},
): RunIdentity {
  return {
    runId: randomBytes(4).toString('hex'),
    suite,
    owner: opts.keep
      ? `${hostname()}:${KEPT}:0`
      : `${hostname()}:${process.pid}:${processStart(process.pid) ?? 0}`,
    deadlineMs: (opts.now ?? Date.now()) + lifetimeMs,
  };
}

export function runLabels(id: RunIdentity): Record<string, string> {
  return {
    [LABEL.run]: id.runId,
    [LABEL.suite]: id.suite,
    [LABEL.owner]: id.owner,
    [LABEL.deadline]: String(id.deadlineMs),
  };
}

/** Start time of a process in clock ticks since boot (Linux), so a reused pid is not mistaken for the owner. */
function processStart(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 22; the command name (field 2) may contain spaces, so count from its closing parenthesis.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * A run is stale when its owner process on this host is gone (or its pid now belongs to
 * another process), or when its deadline has passed. A run owned by another host, or kept
 * on purpose, is left alone until its deadline: someone may still be using it.
 */
export function isStale(
  labels: Record<string, string>,
  now = Date.now(),
  host = hostname(),
): boolean {
  const deadline = Number(labels[LABEL.deadline]);
  if (Number.isFinite(deadline) && deadline > 0 && now > deadline) return true;
  const [ownerHost, pidText, start] = (labels[LABEL.owner] ?? '').split(':');
  if (ownerHost !== host || pidText === KEPT) return false;
  const pid = Number(pidText);
  if (!Number.isInteger(pid) || pid <= 0) return true;
  if (pid === process.pid) return false;
  if (!processAlive(pid)) return true;
  const actual = processStart(pid);
  return start !== undefined && start !== '0' && actual !== undefined && actual !== start;
}
