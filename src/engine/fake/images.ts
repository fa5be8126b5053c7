import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import type { BuildRequest, ImageOps } from '../engine.js';
import { EngineError, classifyStreamFailure } from '../errors.js';
import { normalizeRef, type FakeState } from './model.js';

/** Images in the fake: present, pulled, built, saved and loaded by name. */
export class FakeImages implements ImageOps {
  constructor(private readonly s: FakeState) {}

  imageExists(ref: string): Promise<boolean> {
    return this.s.call('imageExists', ref, () => this.s.hasImage(ref));
  }

  pullImage(ref: string, signal?: AbortSignal): Promise<void> {
    return this.s.call('pullImage', ref, async () => {
      if (this.s.pullDelayMs) await this.s.clock.sleep(this.s.pullDelayMs, signal);
      const failure = this.s.pullFailures.shift();
      if (failure !== undefined)
        throw new EngineError(classifyStreamFailure('pull', failure), failure);
      if (!this.s.emptyPulls.has(normalizeRef(ref))) this.s.addImage(ref);
    });
  }

  /** The fake's tarball names the image; loading it on another fake engine adds that image. */
  saveImage(ref: string): Promise<NodeJS.ReadableStream> {
    return this.s.call('saveImage', ref, () => {
      if (!this.s.hasImage(ref))
        throw new EngineError('not-found', `reference does not exist: ${ref}`);
      return Readable.from([JSON.stringify({ image: normalizeRef(ref) })]);
    });
  }

  loadImage(tarball: NodeJS.ReadableStream): Promise<void> {
    return this.s.call('loadImage', 'tarball', async () => {
      const { image } = JSON.parse(await text(tarball)) as { image: string };
      this.s.addImage(image);
    });
  }

  buildImage(req: BuildRequest): Promise<void> {
    return this.s.call('buildImage', req.tag, () => {
      req.onProgress?.(`Step 1/1 : FROM scratch (fake build of ${req.tag})`);
      const failure = this.s.buildFailures.shift();
      if (failure !== undefined)
        throw new EngineError(classifyStreamFailure('build', failure), failure);
      this.s.addImage(req.tag);
      for (const t of req.build.tags ?? []) this.s.addImage(t);
    });
  }
}
