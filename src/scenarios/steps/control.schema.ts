import { z } from 'zod';
import { duration } from '../../model/schema-parts.js';
import { defineStepSchema } from '../../model/step.js';

export const sleepSchema = defineStepSchema({
  key: 'sleep',
  shape: {
    sleep: duration('Wait this long (prefer a check with retry where an event can be awaited).'),
  },
  refs: () => [],
});

export const healSchema = defineStepSchema({
  key: 'heal',
  shape: {
    heal: z
      .string()
      .describe('Heal the active faults of this kind (`partition`, `pause`, `delay` …), or `all`.'),
  },
  refs: () => [],
});
