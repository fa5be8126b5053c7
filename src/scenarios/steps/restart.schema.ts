import { z } from 'zod';
import { duration, retryAttempts } from '../../model/schema-parts.js';
import type { RefScope } from '../../model/refs.js';
import { defineStepSchema } from '../../model/step.js';

const RestartSpec = retryAttempts('each service (stopped, started, waited for)', {
  backoff: ['1s', '2s'],
}).extend({
  service: z
    .string()
    .optional()
    .describe('Restart one service: topology/service (topology may be left out when unique).'),
  replica: z
    .number()
    .int()
    .min(1)
    .optional()
    .describe('With `service`: only this replica (1-based); default: all.'),
  topology: z
    .string()
    .optional()
    .describe(
      'Restart a whole topology: stopped dependents first, started tier by tier (databases before the apps that need them), each tier once the one before is healthy or running. Containers a `stop` step stopped stay stopped.',
    ),
  timeout: duration()
    .optional()
    .describe(
      "How long each attempt of a service may take to be back. Default: the topology's wait timeout.",
    ),
});
export type Restart = z.output<typeof RestartSpec>;

export const restartSchema = defineStepSchema({
  key: 'restart',
  shape: { restart: RestartSpec },
  refs: (s) =>
    s.restart.service === undefined
      ? []
      : [{ ref: s.restart.service, path: ['restart', 'service'] }],
  problems: (s, suite) => restartProblems(s.restart, suite),
});

function restartProblems(r: Restart, suite: RefScope) {
  const out: { message: string; path: (string | number)[] }[] = [];
  if ((r.service === undefined) === (r.topology === undefined)) {
    out.push({
      message:
        'name either `service` (restart one service) or `topology` (restart all of it in dependency order)',
      path: ['restart'],
    });
    return out;
  }
  if (r.topology !== undefined) {
    if (
      !suite.topologies.some((t) => t.name === r.topology) &&
      !suite.unloaded?.includes(r.topology)
    )
      out.push({
        message: `no topology "${r.topology}" (topologies: ${suite.topologies.map((t) => t.name).join(', ')})`,
        path: ['restart', 'topology'],
      });
    if (r.replica !== undefined)
      out.push({
        message: '`replica` goes with `service`, not `topology`',
        path: ['restart', 'replica'],
      });
    return out;
  }
  return out;
}
