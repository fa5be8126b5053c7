import * as core from '@actions/core';
import { createReadStream, createWriteStream, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { errorMessage } from '../common/errors.js';
import type { ImageCache } from '../orchestrator/image-cache.js';

/**
 * The cache entry's name: the runner's OS and CPU stand for the image's platform (a build on
 * another engine's CPU is another image), the build key for everything the build reads.
 */
export function imageCacheKey(buildKey: string): string {
  return `stackcheck-image-${process.platform}-${process.arch}-${buildKey}`;
}

/**
 * The folder an image's tarball is saved from and restored to. @actions/cache stores paths
 * relative to the workspace and folds them into the entry's version: inside the workspace, a
 * restore lands where the save took it from (outside, a deeper workspace would put it elsewhere).
 */
function folder(buildKey: string): string {
  return join(root(), buildKey);
}

function root(): string {
  return join(process.env.GITHUB_WORKSPACE ?? process.cwd(), '.stackcheck-image-cache');
}

const TARBALL = 'image.tar';

/**
 * The `image-cache` input on @actions/cache: restores before a build, exports each image the
 * run built, and saves those once the run is over (`save`). Undefined, with a line in the log,
 * where the runner offers no cache service: a missing cache never fails the job.
 */
export async function actionImageCache(): Promise<
  { cache: ImageCache; save: () => Promise<void> } | undefined
> {
  // Loaded only when asked for: Azure's storage client and the cache's protobufs are most of it.
  const cache = await import('@actions/cache');
  if (!cache.isFeatureAvailable()) {
    core.info(
      'image cache: this runner has no cache service (neither ACTIONS_CACHE_URL nor ACTIONS_RESULTS_URL is set); images are built',
    );
    return undefined;
  }
  const built = new Map<string, string>();
  return {
    cache: {
      async restore(key, ref, engine, signal) {
        const dir = folder(key);
        try {
          if (!(await cache.restoreCache([dir], imageCacheKey(key)))) {
            core.info(`image cache: ${ref} is not in the cache (${imageCacheKey(key)})`);
            return false;
          }
          await engine.loadImage(createReadStream(join(dir, TARBALL)), signal);
          return true;
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      },
      async keep(key, ref, engine) {
        const dir = folder(key);
        try {
          mkdirSync(dir, { recursive: true });
          await pipeline(await engine.saveImage(ref), createWriteStream(join(dir, TARBALL)));
          built.set(key, ref);
        } catch (e) {
          rmSync(dir, { recursive: true, force: true });
          core.warning(
            `image cache: exporting ${ref} failed, so it is not saved: ${errorMessage(e)}`,
          );
        }
      },
    },
    async save() {
      for (const [key, ref] of built) {
        const dir = folder(key);
        try {
          // saveCache reports a failed upload as a warning and answers -1; it throws on a bad key.
          if ((await cache.saveCache([dir], imageCacheKey(key))) !== -1)
            core.info(`image cache: saved ${ref} as ${imageCacheKey(key)}`);
        } catch (e) {
          core.warning(`image cache: saving ${ref} failed: ${errorMessage(e)}`);
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      }
      built.clear();
      // The run is over: no restore or export is using the folder any more.
      rmSync(root(), { recursive: true, force: true });
    },
  };
}
