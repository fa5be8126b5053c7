import { z } from 'zod';
import { duration } from '../../model/schema-parts.js';
import { defineStepSchema } from '../../model/step.js';
import { serviceRef, TargetSchema } from '../../model/target.schema.js';

export const stopSchema = defineStepSchema({
  key: 'stop',
  shape: {
    stop: TargetSchema.extend({
      timeout: duration()
        .optional()
        .describe("Override the service's stop_grace_period for this stop."),
    }),
    expect: z
      .strictObject({
        graceAtLeast: duration(
          'The service is configured with at least this grace period, and was not killed before it ran out.',
        ),
      })
      .optional(),
  },
  refs: serviceRef('stop'),
});

export const startSchema = defineStepSchema({
  key: 'start',
  shape: { start: TargetSchema },
  refs: serviceRef('start'),
});

export const killSchema = defineStepSchema({
  key: 'kill',
  shape: {
    kill: TargetSchema.extend({
      signal: z
        .string()
        .regex(/^(SIG)?[A-Z0-9]+$/)
        .default('SIGKILL'),
    }),
  },
  refs: serviceRef('kill'),
});

export const crashSchema = defineStepSchema({
  key: 'crash',
  shape: { crash: TargetSchema },
  refs: serviceRef('crash'),
});
