import { z } from 'zod';
import { duration } from '../../manifest/schema-parts.js';
import { defineStepSchema } from '../types.js';
import { serviceRef, TargetSchema } from './target.schema.js';

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
        graceAtLeast: duration().describe(
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
