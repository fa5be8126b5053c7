import { setMaxListeners } from 'node:events';
import { errorMessage } from '../common/errors.js';
import type { Clock } from '../common/clock.js';
import type { Runtime } from './runtime.js';
import type { ScenarioResult } from '../model/results.js';
import type { Suite } from '../model/suite.js';
import type { Progress } from '../orchestrator/progress.js';
import { timeoutSignal } from '../common/timeout.js';

/** What a fault is applied with: the suite, what runs, and the run's fault set. */
export interface FaultContext {
  suite: Suite;
  runtime: Runtime;
  clock: Clock;
  /** Aborts on cancellation (or at the scenario's own end). */
  signal: AbortSignal;
  faults: FaultSet;
  progress?: Progress;
  /** The step's `for:`, for faults: heal after this long. */
  forMs?: number;
}

/**
 * Something a step did to the system that must be undone: a partition, a pause, a node
 * taken down. Healing twice is harmless; `heal` never touches what the fault did not create.
 */
export interface Fault {
  id: string;
  /** The step key that made it (`partition`, `pause` …): `heal: partition` heals these. */
  kind: string;
  description: string;
  /** Which mechanism was used (e.g. `iptables`, `netem`, `proxy`), for the results. */
  mechanism: string;
  /** How long healing may take (default 30 s): bringing a node's services back waits for them. */
  healTimeoutMs?: number;
  heal(signal: AbortSignal): Promise<void>;
}

const HEAL_MS = 30_000;

/** A fault as the results report it: how it was made, and why and when it was healed. */
export type HealRecord = ScenarioResult['faults'][number];

/**
 * The faults a scenario has injected and not yet healed. Each is healed exactly once: when
 * its `for:` runs out, by a `heal:` step, or at the end of the scenario whatever happened —
 * failure and cancellation included.
 */
export class FaultSet {
  private readonly active = new Map<
    string,
    { fault: Fault; appliedMs?: number; timer?: NodeJS.Timeout; healing?: Promise<void> }
  >();
  readonly healed: HealRecord[] = [];

  /** `now` says the time in the run for the timeline; without it, records carry no times. */
  constructor(private readonly now?: () => number) {}

  add(fault: Fault, forMs?: number): void {
    const entry: { fault: Fault; appliedMs?: number; timer?: NodeJS.Timeout } = {
      fault,
      appliedMs: this.now?.(),
    };
    if (forMs !== undefined) {
      entry.timer = setTimeout(
        () => void this.heal(fault.id, `its ${Math.round(forMs / 1000)}s ran out`),
        forMs,
      );
      entry.timer.unref();
    }
    this.active.set(fault.id, entry);
  }

  list(): Fault[] {
    return [...this.active.values()].map((e) => e.fault);
  }

  /** Heals one fault; concurrent calls share the same healing. */
  heal(id: string, reason: string): Promise<void> {
    const entry = this.active.get(id);
    if (!entry) return Promise.resolve();
    if (entry.healing) return entry.healing;
    clearTimeout(entry.timer);
    const { fault } = entry;
    entry.healing = (async () => {
      const record: HealRecord = {
        id,
        kind: fault.kind,
        description: fault.description,
        mechanism: fault.mechanism,
        reason,
      };
      try {
        const signal = timeoutSignal(fault.healTimeoutMs ?? HEAL_MS);
        // A fault is undone in every container it touched at once, each call listening on it.
        setMaxListeners(0, signal);
        await fault.heal(signal);
      } catch (e) {
        record.error = errorMessage(e);
      }
      if (this.now) Object.assign(record, { appliedMs: entry.appliedMs, healedMs: this.now() });
      this.healed.push(record);
      this.active.delete(id);
    })();
    return entry.healing;
  }

  /** Heals every active fault (of one kind, when given), in reverse order of injection. */
  async healAll(reason: string, kind?: string): Promise<void> {
    const ids = [...this.active.values()]
      .filter((e) => !kind || e.fault.kind === kind)
      .map((e) => e.fault.id);
    for (const id of ids.reverse()) await this.heal(id, reason);
  }
}
