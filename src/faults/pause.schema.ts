import { defineStepSchema } from '../model/step.js';
import { serviceRef, TargetSchema } from '../model/target.schema.js';

export const pauseSchema = defineStepSchema({
  key: 'pause',
  fault: true,
  shape: { pause: TargetSchema },
  refs: serviceRef('pause'),
});

export const unpauseSchema = defineStepSchema({
  key: 'unpause',
  shape: { unpause: TargetSchema },
  refs: serviceRef('unpause'),
});
