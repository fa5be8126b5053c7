import type { ExecOps, ExecRequest, ExecResult } from '../engine.js';
import { sealed } from './call.js';
import type { DockerContext } from './context.js';
import { abortable, demuxFrames } from './wire.js';

/** Commands in running containers, and reading their filesystems. */
export class DockerExec implements ExecOps {
  constructor(private readonly ctx: DockerContext) {}

  exec(id: string, req: ExecRequest, signal?: AbortSignal): Promise<ExecResult> {
    return sealed(this.ctx.node, async () => {
      const exec = await abortable(
        signal,
        this.ctx.docker.getContainer(id).exec({
          Cmd: req.cmd,
          User: req.user,
          Env: req.env && Object.entries(req.env).map(([k, v]) => `${k}=${v}`),
          WorkingDir: req.workingDir,
          AttachStdout: true,
          AttachStderr: true,
        }),
      );
      const stream = await abortable(signal, exec.start({ hijack: true, stdin: false }));
      const chunks: Buffer[] = [];
      stream.on('data', (d: Buffer) => chunks.push(d));
      try {
        await abortable(
          signal,
          new Promise<void>((resolve, reject) => stream.on('end', resolve).on('error', reject)),
        );
      } finally {
        stream.destroy();
      }
      const frames = demuxFrames(Buffer.concat(chunks));
      const text = (which: 'stdout' | 'stderr') =>
        Buffer.concat(frames.filter((f) => f.stream === which).map((f) => f.data)).toString('utf8');
      const info = await abortable(signal, exec.inspect());
      return { exitCode: info.ExitCode ?? -1, stdout: text('stdout'), stderr: text('stderr') };
    });
  }

  readArchive(id: string, path: string, signal?: AbortSignal): Promise<NodeJS.ReadableStream> {
    return sealed(this.ctx.node, () =>
      abortable(signal, this.ctx.docker.getContainer(id).getArchive({ path })),
    );
  }
}
