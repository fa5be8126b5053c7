import type { Replica } from '../model/refs.js';
import type { StepContext } from './step.js';
import type { Target } from '../model/target.schema.js';

export function targets(t: Target, ctx: StepContext): Replica[] {
  const all = ctx.runtime.replicas(t.service);
  const chosen = t.replica === undefined ? all : all.filter((r) => r.index === t.replica);
  if (chosen.length === 0) {
    throw new Error(
      `${t.service}${t.replica ? ` replica ${t.replica}` : ''} has no container in this run`,
    );
  }
  return chosen;
}
