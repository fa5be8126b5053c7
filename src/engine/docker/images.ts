import type { Readable } from 'node:stream';
import type { BuildRequest, ImageOps } from '../engine.js';
import { EngineError, classifyStreamFailure } from '../errors.js';
import {
  buildInput,
  buildSecretValues,
  buildSshAgents,
  splitRef,
  type BuildInput,
} from './build.js';
import { openBuildSession } from './build-session.js';
import { found, sealed } from './call.js';
import type { DockerContext } from './context.js';
import { abortable } from './wire.js';

/** Images: look up, pull, build, save and load. */
export class DockerImages implements ImageOps {
  constructor(private readonly ctx: DockerContext) {}

  imageExists(ref: string, signal?: AbortSignal): Promise<boolean> {
    return found(this.ctx.node, () => abortable(signal, this.ctx.docker.getImage(ref).inspect()));
  }

  pullImage(ref: string, signal?: AbortSignal): Promise<void> {
    return sealed(this.ctx.node, async () => {
      const stream = (await this.ctx.docker.pull(ref, { abortSignal: signal })) as Readable;
      await this.follow('pull', stream);
    });
  }

  buildImage(req: BuildRequest, signal?: AbortSignal): Promise<void> {
    const b = req.build;
    return sealed(this.ctx.node, async () => {
      // The context, inline Dockerfile and named contexts: ./build.ts.
      const input = buildInput(b, this.ctx.node);
      // Build secrets and ssh need BuildKit (version 2) and a session that answers for them.
      const session =
        b.secrets?.length || b.ssh?.length
          ? await openBuildSession(
              this.ctx.docker,
              buildSecretValues(b, this.ctx.node),
              buildSshAgents(b, this.ctx.node),
            )
          : undefined;
      try {
        await this.runBuild(req, input, session?.id, signal);
      } finally {
        session?.close();
      }
      // compose's build.tags: more names for the same image.
      for (const extra of b.tags ?? [])
        await abortable(signal, this.ctx.docker.getImage(req.tag).tag(splitRef(extra)));
    });
  }

  private async runBuild(
    req: BuildRequest,
    input: BuildInput,
    session: string | undefined,
    signal?: AbortSignal,
  ): Promise<void> {
    const b = req.build;
    const stream = await this.ctx.docker.buildImage(input.tar as NodeJS.ReadableStream, {
      // A number, not "2": dockerode opens a session of its own for version "2".
      ...(session !== undefined && { version: 2 as unknown as '2', session }),
      t: req.tag,
      dockerfile: input.dockerfile,
      ...(input.remote !== undefined && { remote: input.remote }),
      buildargs: b.args,
      target: b.target ?? '',
      labels: { ...b.labels, ...req.labels },
      rm: true,
      forcerm: true,
      abortSignal: signal,
    });
    await this.follow('build', stream, req.onProgress);
  }

  saveImage(ref: string, signal?: AbortSignal): Promise<NodeJS.ReadableStream> {
    return sealed(this.ctx.node, () => abortable(signal, this.ctx.docker.getImage(ref).get()));
  }

  loadImage(tarball: NodeJS.ReadableStream, signal?: AbortSignal): Promise<void> {
    return sealed(this.ctx.node, async () => {
      const stream = (await this.ctx.docker.loadImage(tarball, {
        abortSignal: signal,
      })) as Readable;
      await this.follow('load', stream);
    });
  }

  /** Reads a JSON-lines progress stream; the daemon reports build and pull failures inside it. */
  private follow(
    kind: 'pull' | 'build' | 'load',
    stream: NodeJS.ReadableStream,
    onProgress?: (line: string) => void,
  ): Promise<void> {
    return new Promise((resolve, reject) => {
      this.ctx.docker.modem.followProgress(
        stream,
        (err: Error | null, output: { error?: string; errorDetail?: { message?: string } }[]) => {
          const failed = output?.find((o) => o.error || o.errorDetail);
          if (err) reject(err);
          else if (failed) {
            const message = failed.errorDetail?.message ?? failed.error ?? 'failed';
            const reason = kind === 'load' ? 'failed' : classifyStreamFailure(kind, message);
            reject(new EngineError(reason, message, { node: this.ctx.node }));
          } else resolve();
        },
        (event: { stream?: string; status?: string }) => {
          const line = (event.stream ?? event.status ?? '').trim();
          if (line && onProgress) onProgress(line);
        },
      );
    });
  }
}
