import { z } from 'zod';
import { defineKindSchema } from '../../model/check.js';

export const Side = z.union([
  z
    .string()
    .describe(
      'A node, or a service (topology/service): its snapshot is taken when the check runs.',
    ),
  z
    .strictObject({
      taken: z.string().describe('The `as` name of an earlier scenario `snapshot` step.'),
    })
    .describe('A snapshot a scenario step took earlier (before a step, to compare with after it).'),
  z
    .strictObject({
      file: z
        .string()
        .describe(
          "A snapshot file (relative to the working directory), e.g. an earlier job's artifact.",
        ),
      of: z
        .string()
        .optional()
        .describe(
          'Which of its snapshots (the subject: topology/service, or `node NAME`) when it holds several of this name.',
        ),
    })
    .describe(
      "A snapshot an earlier run or job wrote (`stackcheck snapshot`, `run --snapshot`, the action's `snapshot` input). Skipped when the file is absent.",
    ),
]);

export const DiffSpec = z.strictObject({
  snapshot: z.string().describe('The name of a `snapshots:` entry: what both sides capture.'),
  left: Side,
  right: Side,
  ignore: z
    .array(z.string().min(1))
    .default([])
    .describe("Keys to leave out, added to the snapshot's own `ignore` (same globs)."),
});

const DiffExpect = z.strictObject({
  equal: z
    .boolean()
    .default(true)
    .describe(
      'true: the sides agree (every difference fails the check). false: they must differ (the check fails when they agree; its evidence lists the differences).',
    ),
});

export const diffSchema = defineKindSchema({
  kind: 'diff',
  phase: 'live',
  shape: { diff: DiffSpec, expect: DiffExpect.default({ equal: true }) },
  refs: (c) =>
    (['left', 'right'] as const).flatMap((side) => {
      const v = c.diff[side];
      // Bare names may be nodes: the snapshot loader judges those (model/snapshot.ts).
      return typeof v === 'string' && v.includes('/') ? [{ ref: v, path: ['diff', side] }] : [];
    }),
});
