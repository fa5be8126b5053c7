import { z } from 'zod';
import { duration } from '../manifest/schema-parts.js';
import { chaos } from './steps/chaos.js';
import { heal, sleep } from './steps/control.js';
import { crash, kill, pause, start, stop, unpause } from './steps/lifecycle.js';
import { down, up } from './steps/node.js';
import { bandwidth, delay, loss, partition } from './steps/network.js';
import { recreate } from './steps/recreate.js';
import { restart } from './steps/restart.js';
import { snapshot } from './steps/snapshot.js';
import type { StepKind } from './types.js';

/** Every step kind but `check`, which reuses the check kinds (see load.ts). */
export const STEPS: readonly StepKind[] = [
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
] as unknown as StepKind[];

export const CHECK_STEP = 'check';
export const STEP_KEYS: readonly string[] = [...STEPS.map((s) => s.key), CHECK_STEP];

const byKey = new Map(STEPS.map((s) => [s.key, s]));

export function stepOf(key: string): StepKind {
  const s = byKey.get(key);
  if (!s) throw new Error(`unknown step "${key}"`);
  return s;
}

const StepCommon = {
  name: z.string().optional().describe('How the step is named in the results.'),
};
const ForKey = {
  for: duration()
    .optional()
    .describe('Heal this fault after this long (it is healed at the end of the scenario anyway).'),
};

export function stepSchema(k: StepKind) {
  return z.strictObject({ ...StepCommon, ...(k.fault ? ForKey : {}), ...k.shape });
}

const CheckStepSchema = z.strictObject({
  ...StepCommon,
  check: z
    .record(z.string(), z.unknown())
    .describe('A check entry of any kind (its name may be left out).'),
});

export const ScenarioSchema = z.strictObject({
  name: z.string().min(1),
  steps: z
    .array(
      z.union([...STEPS.map(stepSchema), CheckStepSchema] as unknown as [
        z.ZodTypeAny,
        ...z.ZodTypeAny[],
      ]),
    )
    .min(1),
});
