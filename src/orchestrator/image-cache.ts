import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { BuildSpec } from '../compose/model.js';
import type { Engine } from '../engine/engine.js';

/**
 * Built images kept between jobs (the action's `image-cache` input, on @actions/cache). The
 * core names each build by a key of its inputs and asks the cache before building; where to
 * store is the adapter's business, so the core stays free of any CI service.
 */
export interface ImageCache {
  /** Loads the image saved under `key` into `engine` (tagged `ref`); false where none is saved. */
  restore(key: string, ref: string, engine: Engine, signal: AbortSignal): Promise<boolean>;
  /**
   * `ref` was just built under `key` on `engine`: the adapter exports it now (the engine closes
   * when the run ends) and stores it once the run is over. Never throws: a cache is no reason
   * to fail a run.
   */
  keep(key: string, ref: string, engine: Engine): Promise<void>;
}

/**
 * What the engine builds from: every file of the context with its mode (the builder gets the whole
 * directory, as engine/docker.ts sends it), the Dockerfile's name, build args, target and labels.
 * The image's name is part of it, as a restored image is loaded under the name it was saved with.
 */
export function buildKey(ref: string, build: BuildSpec): string {
  const hash = createHash('sha256');
  const field = (name: string, value: string | Buffer) =>
    hash.update(`${name}\0${Buffer.byteLength(value)}\0`).update(value);
  field('ref', ref);
  field('dockerfile', build.dockerfile);
  field('target', build.target ?? '');
  field('args', JSON.stringify(Object.entries(build.args).sort()));
  field('labels', JSON.stringify(Object.entries(build.labels).sort()));
  // A remote context is fetched by the engine: nothing here says whether it changed.
  if (build.remote) throw new Error('a remote (git/http) context is fetched by the engine');
  field('dockerfile_inline', build.dockerfileInline ?? '');
  field('tags', JSON.stringify(build.tags ?? []));
  const contexts = Object.entries(build.additionalContexts ?? {}).sort();
  field('contexts', JSON.stringify(contexts));
  const walk = (dir: string, rel: string) => {
    const entries = readdirSync(dir, { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const path = join(dir, e.name);
      const name = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        field('dir', name);
        walk(path, name);
      } else if (e.isSymbolicLink()) field(`link ${name}`, readlinkSync(path));
      else if (e.isFile())
        field(`file ${name} ${(lstatSync(path).mode & 0o7777).toString(8)}`, readFileSync(path));
    }
  };
  walk(build.context, '');
  for (const [name, source] of contexts)
    if (!source.includes('://')) {
      field('context', name);
      walk(source, '');
    }
  return hash.digest('hex');
}
