import { z } from 'zod';
import type { Suite } from '../model/suite.js';
import { defineStepSchema } from '../model/step.js';

export const downSchema = defineStepSchema({
  key: 'down',
  fault: true,
  shape: {
    down: z
      .strictObject({ node: z.string().describe('The node to take down.') })
      .describe('Stop every container of the run on a node, in reverse dependency order.'),
  },
  refs: () => [],
  problems: (s, suite) => nodeProblems(s.down.node, suite, 'down'),
});

export const upSchema = defineStepSchema({
  key: 'up',
  shape: {
    up: z
      .strictObject({ node: z.string().describe('The node to bring back.') })
      .describe(
        'Start what `down` stopped on a node, in dependency order, and wait until it is back.',
      ),
  },
  refs: () => [],
  problems: (s, suite) => nodeProblems(s.up.node, suite, 'up'),
});

function nodeProblems(node: string, suite: Pick<Suite, 'nodes'>, key: string) {
  return suite.nodes[node]
    ? []
    : [
        {
          message: `no node "${node}" (nodes: ${Object.keys(suite.nodes).join(', ')})`,
          path: [key, 'node'],
        },
      ];
}
