import { z } from 'zod';
import { regexProblems, TextMatchSchema } from '../../model/match.js';
import { defineKindSchema } from '../../model/check.js';

const ExecSpec = z.strictObject({
  service: z.string().describe('topology/service (topology may be left out when unique).'),
  command: z
    .union([z.array(z.string()).min(1), z.string().min(1)])
    .describe('argv, or a string run with `sh -c`.'),
  user: z.string().optional(),
  env: z.record(z.string(), z.string()).optional(),
  workdir: z.string().optional(),
});

const ExecExpect = z.strictObject({
  exit: z.number().int().default(0).describe('Expected exit code.'),
  stdout: TextMatchSchema.optional(),
  stderr: TextMatchSchema.optional(),
});

export const execSchema = defineKindSchema({
  kind: 'exec',
  phase: 'live',
  shape: { exec: ExecSpec, expect: ExecExpect.default({ exit: 0 }) },
  refs: (c) => [{ ref: c.exec.service, path: ['exec', 'service'] }],
  problems: (c) =>
    [c.expect.stdout, c.expect.stderr].flatMap((m) =>
      regexProblems(m).map((message) => ({ message, path: ['expect'] })),
    ),
});
