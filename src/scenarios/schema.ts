import { z } from 'zod';
import { duration } from '../model/schema-parts.js';
import { chaosSchema } from './steps/chaos.schema.js';
import { healSchema, sleepSchema } from './steps/control.schema.js';
import { crashSchema, killSchema, startSchema, stopSchema } from './steps/lifecycle.schema.js';
import { bandwidthSchema } from '../faults/bandwidth.schema.js';
import { delaySchema } from '../faults/delay.schema.js';
import { lossSchema } from '../faults/loss.schema.js';
import { downSchema, upSchema } from '../faults/node.schema.js';
import { partitionSchema } from '../faults/partition.schema.js';
import { pauseSchema, unpauseSchema } from '../faults/pause.schema.js';
import { recreateSchema } from './steps/recreate.schema.js';
import { restartSchema } from './steps/restart.schema.js';
import { snapshotSchema } from './steps/snapshot.schema.js';
import { Registry } from '../model/registry.js';
import type { StepSchema } from '../model/step.js';

/**
 * Every step's schema but `check`'s, which reuses the check kinds (see load.ts), in the order
 * the JSON Schema lists them: what the manifest loader needs, without any step's runtime
 * (registry.ts adds that).
 */
const SCHEMAS = [
  stopSchema,
  startSchema,
  restartSchema,
  recreateSchema,
  killSchema,
  crashSchema,
  chaosSchema,
  pauseSchema,
  unpauseSchema,
  downSchema,
  upSchema,
  partitionSchema,
  delaySchema,
  lossSchema,
  bandwidthSchema,
  sleepSchema,
  healSchema,
  snapshotSchema,
] as const;

export type StepKey = (typeof SCHEMAS)[number]['key'];

const STEPS = new Registry('step', SCHEMAS as unknown as readonly StepSchema[], (s) => s.key);

export const CHECK_STEP = 'check';
export const STEP_KEYS: readonly string[] = [...STEPS.names, CHECK_STEP];

export function stepSchemaOf(key: string): StepSchema {
  return STEPS.of(key);
}

const StepCommon = {
  name: z.string().optional().describe('How the step is named in the results.'),
};
const ForKey = {
  for: duration()
    .optional()
    .describe('Heal this fault after this long (it is healed at the end of the scenario anyway).'),
};

export function stepSchema(k: StepSchema) {
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
      z.union([...STEPS.entries.map(stepSchema), CheckStepSchema] as unknown as [
        z.ZodTypeAny,
        ...z.ZodTypeAny[],
      ]),
    )
    .min(1),
});
