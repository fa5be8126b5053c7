/** What the orchestrator tells the user while it works; the console reporter prints it. */
export type ServicePhase =
  | 'building'
  | 'pulling'
  | 'carrying'
  | 'starting'
  | 'started'
  | 'healthy'
  | 'running'
  | 'completed'
  | 'failed'
  | 'stopping'
  | 'removed';

export type ProgressEvent =
  | {
      kind: 'service';
      topology: string;
      service: string;
      phase: ServicePhase;
      atMs: number;
      detail?: string;
    }
  | {
      /** A topology's bring-up ended: every service ready, or not. */
      kind: 'topology';
      topology: string;
      node: string;
      status: 'up' | 'failed' | 'error' | 'cancelled';
      atMs: number;
      services: { name: string; status: string }[];
    }
  | {
      kind: 'check';
      name: string;
      status: 'passed' | 'failed' | 'skipped' | 'error';
      durationMs: number;
    }
  | { kind: 'note'; level: 'info' | 'warn'; text: string };

export interface Progress {
  emit(e: ProgressEvent): void;
}

export const silentProgress: Progress = { emit: () => undefined };
