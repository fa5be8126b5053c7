import { z } from 'zod';
import { parseRate } from '../common/duration.js';
import { defineStepSchema } from '../model/step.js';
import { TargetSchema } from '../model/target.schema.js';
import { portProblems, ShapingTarget, shapingRefs } from './network/shaping.schema.js';

export const BandwidthSpec = TargetSchema.extend({
  rate: z
    .string()
    .describe(
      'The most the service may send, as tc writes rates: 500kbit, 1mbit, 2gbit; 1mbps is bytes.',
    ),
  ...ShapingTarget,
});

export const bandwidthSchema = defineStepSchema({
  key: 'bandwidth',
  fault: true,
  shape: { bandwidth: BandwidthSpec },
  refs: shapingRefs('bandwidth'),
  problems: (s) => [
    ...(parseRate(s.bandwidth.rate) === undefined
      ? [
          {
            message: `"${s.bandwidth.rate}" is not a rate: write 500kbit, 1mbit, 10mbit (bits) or 1mbps (bytes) per second`,
            path: ['bandwidth', 'rate'],
          },
        ]
      : []),
    ...portProblems('bandwidth', s.bandwidth),
  ],
});
