import { duration } from '../../manifest/schema-parts.js';
import { defineStepSchema } from '../types.js';
import { serviceRef, TargetSchema } from './target.schema.js';

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
