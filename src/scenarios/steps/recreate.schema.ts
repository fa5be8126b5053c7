import { duration } from '../../model/schema-parts.js';
import { defineStepSchema } from '../../model/step.js';
import { serviceRef, TargetSchema } from '../../model/target.schema.js';

export const recreateSchema = defineStepSchema({
  key: 'recreate',
  shape: {
    recreate: TargetSchema.extend({
      timeout: duration()
        .optional()
        .describe(
          "How long the new container may take to be back (healthy, or running and stable, or completed). Default: the topology's wait timeout.",
        ),
    }),
  },
  refs: serviceRef('recreate'),
});
