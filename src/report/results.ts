import type { SourcePos } from '../common/errors.js';

/**
 * The results of one run: the contract every reporter reads and users build on. Fields are
 * only ever added, never renamed. Times in `startedMs`/`healthyMs` count from the run's start,
 * so the order of events across services can be compared.
 */
export interface RunResults {
  suite: string;
  runId: string;
  status: 'passed' | 'failed' | 'error';
  durationMs: number;
  startedAt: string;
  /** The signal that cancelled the run, if one did. */
  interrupted?: 'SIGINT' | 'SIGTERM';
  topologies: TopologyResult[];
  checks: CheckResult[];
  /** Whether everything was removed afterwards, or kept (`--keep`) for inspection. */
  teardown:
    | { kept: true }
    | { kept: false; containers: number; networks: number; volumes: number; errors: string[] };
}

export interface TopologyResult {
  name: string;
  node: string;
  status: 'passed' | 'failed' | 'error' | 'cancelled';
  source: SourcePos;
  services: ServiceResult[];
  failure?: { service: string; message: string; details: string[]; source?: SourcePos };
  /** The matrix combination this topology ran with, when the suite has a matrix. */
  matrix?: Record<string, string>;
}

export interface ServiceResult {
  name: string;
  status: 'healthy' | 'running' | 'completed' | 'failed' | 'cancelled' | 'pending';
  health: 'healthy' | 'unhealthy' | 'starting' | 'none' | 'unknown';
  startedMs?: number;
  healthyMs?: number;
  replicas: number;
}

export interface CheckResult {
  name: string;
  kind: string;
  status: 'passed' | 'failed' | 'skipped' | 'error';
  durationMs: number;
  message: string;
  source: SourcePos;
  /** The services the check names, as topology/service. */
  targets: string[];
  attempts: number;
  /** Passed, but only after failed attempts. */
  flaky: boolean;
  /** Kind-specific proof: request and response excerpts, command output, matched lines, counts. */
  evidence: Record<string, unknown>;
  /** The matrix combination this result belongs to, when the suite has a matrix. */
  matrix?: Record<string, string>;
}

/** Exit code for a finished run: 0 passed, 1 something failed, 2 bad input, 130/143 cancelled. */
export function exitCodeFor(r: RunResults): number {
  if (r.interrupted) return r.interrupted === 'SIGINT' ? 130 : 143;
  return r.status === 'passed' ? 0 : r.status === 'failed' ? 1 : 2;
}
