import { chaos } from './steps/chaos.js';
import { heal, sleep } from './steps/control.js';
import { crash, kill, start, stop } from './steps/lifecycle.js';
import { bandwidth } from '../faults/bandwidth.js';
import { delay } from '../faults/delay.js';
import { loss } from '../faults/loss.js';
import { down, up } from '../faults/node.js';
import { partition } from '../faults/partition.js';
import { pause, unpause } from '../faults/pause.js';
import { recreate } from './steps/recreate.js';
import { restart } from './steps/restart.js';
import { snapshot } from './steps/snapshot.js';
import type { StepKey } from './schema.js';
import type { StepKind } from '../live/step.js';
import { Registry } from '../model/registry.js';

/** Every step the schema registry (schema.ts) names, with its `run`: a missing one does not compile. */
const STEPS = {
  stop,
  start,
  restart,
  recreate,
  kill,
  crash,
  chaos,
  pause,
  unpause,
  down,
  up,
  partition,
  delay,
  loss,
  bandwidth,
  sleep,
  heal,
  snapshot,
} satisfies { [K in StepKey]: { key: K } };

const RUN_STEPS = new Registry(
  'step',
  Object.values(STEPS as unknown as Record<string, StepKind>),
  (s) => s.key,
);

export function stepOf(key: string): StepKind {
  return RUN_STEPS.of(key);
}
