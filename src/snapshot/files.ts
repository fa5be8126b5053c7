import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { extract, type Headers } from 'tar-stream';
import { isEngineError, type Engine } from '../engine/engine.js';
import type { Value } from './model.js';

export interface TreeLimits {
  files: number;
  bytes: number;
}

export interface Tree {
  /** Keyed by absolute path in the container. */
  entries: Record<string, Value>;
  /** Set when a limit stopped the reading: what was read is kept, the rest is missing. */
  incomplete?: string;
}

/**
 * A path's files as the engine's archive endpoint streams them (no tool needed in the image):
 * a sha256, size and mode per file, a mode per directory, a target per link. Reading stops
 * at the first file or byte past the limits, so a huge tree costs at most the limits. A path
 * that does not exist is one `absent` entry, so a diff shows it as missing on one side.
 */
export async function readTree(
  engine: Engine,
  containerId: string,
  path: string,
  limits: TreeLimits,
  signal?: AbortSignal,
): Promise<Tree> {
  let stream: Readable;
  try {
    stream = (await engine.readArchive(containerId, path, signal)) as Readable;
  } catch (e) {
    if (isEngineError(e, 'not-found')) return { entries: { [path]: { type: 'absent' } } };
    throw e;
  }
  const root = path.replace(/\/+$/, '') || '/';
  const entries: Record<string, Value> = {};
  let files = 0;
  let bytes = 0;
  let incomplete: string | undefined;
  const tar = extract();
  const done = new Promise<void>((resolve, reject) => {
    const stop = (why: string) => {
      incomplete = why;
      stream.unpipe(tar);
      stream.destroy();
      tar.destroy();
      resolve();
    };
    tar.on('entry', (h: Headers, body: Readable, next: () => void) => {
      const at = inContainer(root, h.name);
      const mode = `0${((h.mode ?? 0) & 0o7777).toString(8)}`;
      if (h.type === 'file' || h.type === 'contiguous-file') {
        files++;
        bytes += h.size ?? 0;
        if (files > limits.files)
          return stop(`${path}: more than ${limits.files} files (limits.files)`);
        if (bytes > limits.bytes)
          return stop(`${path}: more than ${limits.bytes} bytes (limits.bytes)`);
        const hash = createHash('sha256');
        body.on('data', (d: Buffer) => hash.update(d));
        body.on('end', () => {
          entries[at] = { type: 'file', sha256: hash.digest('hex'), size: h.size ?? 0, mode };
          next();
        });
        return;
      }
      if (h.type === 'directory') entries[at] = { type: 'dir', mode };
      else if (h.type === 'symlink' || h.type === 'link')
        entries[at] = { type: h.type, target: h.linkname ?? '' };
      else entries[at] = { type: h.type ?? 'other', mode };
      body.on('end', next);
      body.resume();
    });
    tar.on('finish', resolve);
    tar.on('error', reject);
    stream.on('error', (e) => (incomplete ? resolve() : reject(e)));
  });
  // A deadline or cancellation stops the transfer, not only the waiting.
  const onAbort = () => stream.destroy(signal?.reason as Error);
  signal?.addEventListener('abort', onAbort, { once: true });
  stream.pipe(tar);
  try {
    await done;
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
  return { entries, incomplete };
}

/** The archive names entries from the path's last component; map them back to absolute paths. */
function inContainer(root: string, name: string): string {
  const rel = name.replace(/\/+$/, '').replace(/^\.\//, '');
  if (root === '/') return `/${rel}`;
  const slash = rel.indexOf('/');
  return slash < 0 ? root : `${root}${rel.slice(slash)}`;
}

/**
 * The text of one file in a container, read through the archive endpoint (no tool needed in
 * the image); undefined when it does not exist. At most `maxBytes` are kept.
 */
export async function readFileText(
  engine: Engine,
  containerId: string,
  path: string,
  maxBytes: number,
  signal?: AbortSignal,
): Promise<string | undefined> {
  let stream: Readable;
  try {
    stream = (await engine.readArchive(containerId, path, signal)) as Readable;
  } catch (e) {
    if (isEngineError(e, 'not-found')) return undefined;
    throw e;
  }
  const chunks: Buffer[] = [];
  let kept = 0;
  const tar = extract();
  await new Promise<void>((resolve, reject) => {
    tar.on('entry', (h: Headers, body: Readable, next: () => void) => {
      if (h.type === 'file' || h.type === 'contiguous-file')
        body.on('data', (d: Buffer) => {
          if (kept < maxBytes) chunks.push(d.subarray(0, maxBytes - kept));
          kept += d.length;
        });
      body.on('end', next);
      body.resume();
    });
    tar.on('finish', resolve);
    tar.on('error', reject);
    stream.on('error', reject);
    stream.pipe(tar);
  });
  return Buffer.concat(chunks).toString('utf8');
}
