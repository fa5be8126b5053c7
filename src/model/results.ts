import { randomBytes } from 'node:crypto';
import type { Problem, SourcePos } from '../common/errors.js';

/**
 * The results of one run: the contract every reporter reads and users build on. Fields are
 * only ever added, never renamed. Times in `startedMs`/`healthyMs`/`appliedMs`/`healedMs`
 * count from the run's start (a scenario step's `startedMs` from its scenario's),
 * so the order of events across services can be compared.
 */
export interface RunResults {
  suite: string;
  runId: string;
  status: 'passed' | 'failed' | 'error';
  durationMs: number;
  startedAt: string;
  /**
   * What cancelled the run, if anything did: a signal, the reader of its output going away
   * (`SIGPIPE`: `stackcheck run | head`), or the run's own time limit.
   */
  interrupted?: 'SIGINT' | 'SIGTERM' | 'SIGPIPE' | 'timeout';
  topologies: TopologyResult[];
  checks: CheckResult[];
  scenarios: ScenarioResult[];
  /** Whether everything was removed afterwards, or kept (`--keep`) for inspection. */
  teardown:
    | { kept: true }
    | {
        kept: false;
        containers: number;
        networks: number;
        volumes: number;
        errors: string[];
        /** What was done to leave attached stacks as found: "started web-1 again (it was exited)". */
        restored?: string[];
      };
  /**
   * Last log lines of the services that failing checks target, by `topology/service`, taken
   * before teardown (bring-up failures carry theirs in the topology's `failure.details`).
   */
  logs?: Record<string, string[]>;
  /**
   * Engine calls by node and by kind (`inspectContainer`, `exec`, ...), teardown included:
   * what the run asked of each machine.
   */
  engineCalls?: Record<string, Record<string, number>>;
  /** A name for where this run happened (a runner's labels), set when results are merged. */
  label?: string;
  /**
   * Why nothing ran, when the run ended before it started: bad inputs, a manifest that does
   * not load, a missing file, an engine that cannot be reached. Each is an error in the reports.
   */
  problems?: Problem[];
}

/** The results of a run that ended before it started: status error, each problem reported. */
export function problemResults(suite: string, problems: Problem[]): RunResults {
  return {
    suite,
    runId: randomBytes(4).toString('hex'),
    status: 'error',
    durationMs: 0,
    startedAt: new Date().toISOString(),
    topologies: [],
    checks: [],
    scenarios: [],
    teardown: { kept: false, containers: 0, networks: 0, volumes: 0, errors: [] },
    problems,
  };
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
  /** The compose networks its services join (engine-level names carry the run id; these do not). */
  networks?: string[];
  /** Set for a topology attached to a deployed compose project: what was found of each service. */
  attached?: {
    project: string;
    services: {
      name: string;
      /** found: ready by bring-up's rules; unhealthy: not ready by the deadline; extra: not in the compose files. */
      state: 'found' | 'missing' | 'unhealthy' | 'extra';
      containers: string[];
      message?: string;
    }[];
  };
}

export interface ServiceResult {
  name: string;
  status: 'healthy' | 'running' | 'completed' | 'failed' | 'cancelled' | 'pending';
  health: 'healthy' | 'unhealthy' | 'starting' | 'none' | 'unknown';
  /** When its dependencies held and the engine was asked to start it; `startedMs` is when the engine had. */
  startingMs?: number;
  startedMs?: number;
  healthyMs?: number;
  /**
   * Who said "healthy": the engine's healthcheck status, or stackcheck running the same
   * healthcheck command while the service started (before the engine's next tick).
   */
  healthSource?: 'engine' | 'probe';
  replicas: number;
  /** Where the service is defined in its compose file. */
  source?: SourcePos;
  /**
   * The services it depends on, with compose's condition; one of another topology (the
   * topology's `depends_on`) as topology/service.
   */
  dependsOn?: { service: string; condition: string }[];
  /** The compose networks it joins (`network_mode` services join none). */
  networks?: string[];
  /** Why it runs without the GPUs it reserves (`gpu: optional` on an engine that has none). */
  withoutGpu?: string;
}

export interface CheckResult {
  name: string;
  kind: string;
  status: 'passed' | 'failed' | 'skipped' | 'error';
  /** When its first attempt began, from the run's start (absent for checks that did not run). */
  startedMs?: number;
  durationMs: number;
  message: string;
  source: SourcePos;
  /** The services the check names, as topology/service. */
  targets: string[];
  /**
   * The connections between those services it exercises, as topology/service: a probe
   * `from:` one service to another, a write on one seen on another; absent when none.
   */
  links?: { from: string; to: string; port?: number }[];
  attempts: number;
  /** Passed, but only after failed attempts. */
  flaky: boolean;
  /** Kind-specific proof: request and response excerpts, command output, matched lines, counts. */
  evidence: Record<string, unknown>;
  /** The matrix combination this result belongs to, when the suite has a matrix. */
  matrix?: Record<string, string>;
}

/** An ordered scenario of lifecycle steps, faults and checks. */
export interface ScenarioResult {
  name: string;
  status: 'passed' | 'failed' | 'skipped' | 'error';
  /** When it began, from the run's start; its steps' `startedMs` count from here. */
  startedMs?: number;
  durationMs: number;
  source: SourcePos;
  /** Why it did not run, when it was skipped as a whole. */
  message?: string;
  steps: StepResult[];
  /** Every fault the scenario injected, how it was made and why and when it was healed. */
  faults: {
    id: string;
    kind: string;
    description: string;
    mechanism: string;
    /** Why it was healed: its `for:` ran out, a `heal:` step, the scenario's end, cancellation. */
    reason: string;
    error?: string;
    /** When it was injected, and when its healing ended, from the run's start (from the scenario's when run alone). */
    appliedMs?: number;
    healedMs?: number;
  }[];
  matrix?: Record<string, string>;
}

export interface StepResult {
  index: number;
  /** The step's action key: stop, partition, check … */
  action: string;
  name: string;
  status: 'passed' | 'failed' | 'skipped' | 'error';
  /** Since the scenario started. */
  startedMs: number;
  durationMs: number;
  message: string;
  evidence: Record<string, unknown>;
  source: SourcePos;
  /** The services it acts on or checks, as topology/service. */
  targets?: string[];
}

/** Exit code for a finished run: 0 passed, 1 something failed, 2 bad input or time limit reached, 130/141/143 cancelled. */
export function exitCodeFor(r: RunResults): number {
  if (r.interrupted === 'SIGINT') return 130;
  if (r.interrupted === 'SIGPIPE') return 141;
  if (r.interrupted === 'SIGTERM') return 143;
  return r.status === 'passed' ? 0 : r.status === 'failed' ? 1 : 2;
}
