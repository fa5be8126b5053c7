import { excerpt, textMismatch } from '../../model/match.js';
import { acrossReplicas } from '../../live/replicas.js';
import { defineKind } from '../../live/check.js';
import type { Outcome } from '../../model/check.js';
import { execSchema } from './exec.schema.js';

/** Exit codes the runtime uses when the command itself could not be started. */
const NOT_RUNNABLE = new Set([126, 127]);

export const exec = defineKind({
  ...execSchema,
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
