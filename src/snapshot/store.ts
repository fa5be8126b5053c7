import type { Runtime } from '../live/runtime.js';
import type { Snapshot } from './model.js';

/**
 * Snapshots a scenario's `snapshot` steps took, by the name they were taken under, for the
 * `diff` checks after them. Kept per run (its Runtime), and gone with it.
 */
const taken = new WeakMap<Runtime, Map<string, Snapshot>>();

export function keepSnapshot(rt: Runtime, as: string, s: Snapshot): void {
  const m = taken.get(rt) ?? new Map<string, Snapshot>();
  m.set(as, s);
  taken.set(rt, m);
}

export function takenSnapshot(rt: Runtime, as: string): Snapshot | undefined {
  return taken.get(rt)?.get(as);
}

export function takenNames(rt: Runtime): string[] {
  return [...(taken.get(rt)?.keys() ?? [])];
}
