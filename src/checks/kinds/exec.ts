import { z } from 'zod';
import { excerpt, regexProblems, textMismatch, TextMatchSchema } from '../match.js';
import { acrossReplicas } from '../replicas.js';
import { defineKind, type Outcome } from '../types.js';

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

/** Exit codes the runtime uses when the command itself could not be started. */
const NOT_RUNNABLE = new Set([126, 127]);

export const exec = defineKind({
  kind: 'exec',
  phase: 'live',
  shape: { exec: ExecSpec, expect: ExecExpect.default({ exit: 0 }) },
  refs: (c) => [{ ref: c.exec.service, path: ['exec', 'service'] }],
  problems: (c) =>
    [c.expect.stdout, c.expect.stderr].flatMap((m) =>
      regexProblems(m).map((message) => ({ message, path: ['expect'] })),
    ),
  async attempt(c, ctx) {
    const rt = ctx.runtime!;
    const cmd = typeof c.exec.command === 'string' ? ['sh', '-c', c.exec.command] : c.exec.command;
    return acrossReplicas(rt.replicas(c.exec.service), c.any, async (r): Promise<Outcome> => {
      const res = await rt
        .engine(r.node)
        .exec(
          r.containerId,
          { cmd, user: c.exec.user, env: c.exec.env, workingDir: c.exec.workdir },
          ctx.signal,
        );
      const evidence = {
        container: r.containerName,
        command: cmd,
        exitCode: res.exitCode,
        stdout: excerpt(res.stdout),
        stderr: excerpt(res.stderr),
      };
      if (
        NOT_RUNNABLE.has(res.exitCode) &&
        c.expect.exit !== res.exitCode &&
        /not found|permission denied|no such file/i.test(res.stdout + res.stderr)
      ) {
        return {
          status: 'error',
          message: `cannot run ${JSON.stringify(cmd[0])} in ${r.containerName}: ${(res.stdout + res.stderr).trim().split('\n')[0]}`,
          evidence,
        };
      }
      if (res.exitCode !== c.expect.exit) {
        return {
          status: 'failed',
          message: `exit code ${res.exitCode}, expected ${c.expect.exit}`,
          evidence,
        };
      }
      for (const stream of ['stdout', 'stderr'] as const) {
        const m = c.expect[stream];
        const miss = m === undefined ? undefined : textMismatch(res[stream], m);
        if (miss) return { status: 'failed', message: `${stream} ${miss}`, evidence };
      }
      return { status: 'passed', message: `exit code ${res.exitCode}`, evidence };
    });
  },
});
