import { chmodSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { BuildSpec } from '../../src/compose/model.js';
import { FakeEngine } from '../../src/engine/fake.js';
import { buildKey, type ImageCache } from '../../src/orchestrator/image-cache.js';
import type { ProgressEvent } from '../../src/orchestrator/progress.js';
import { run } from '../../src/run.js';
import { workdir } from '../support/cli.js';
import { FakeClock } from '../support/fake-clock.js';
import { service, suite, topology } from '../support/specs.js';

const pos = { file: 'test.yml', line: 1, column: 1 };

function context(files: Record<string, string> = {}): BuildSpec {
  const dir = workdir({ Dockerfile: 'FROM scratch\nCOPY . /\n', 'src/a.txt': 'a\n', ...files });
  return { context: dir, dockerfile: 'Dockerfile', args: { V: '1' }, labels: {}, pos };
}

describe('the build key', () => {
  it('is the same for the same inputs and changes with any of them', () => {
    const b = context();
    const key = buildKey('img', b);
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    expect(buildKey('img', { ...context(), args: { V: '1' } })).toBe(key);
    expect(buildKey('img2', b)).not.toBe(key);
    expect(buildKey('img', { ...b, args: { V: '2' } })).not.toBe(key);
    expect(buildKey('img', { ...b, target: 'x' })).not.toBe(key);
    expect(buildKey('img', { ...b, dockerfile: 'other.Dockerfile' })).not.toBe(key);
    expect(buildKey('img', { ...b, labels: { a: 'b' } })).not.toBe(key);
    expect(buildKey('img', context({ 'src/a.txt': 'b\n' }))).not.toBe(key);
    expect(buildKey('img', context({ 'src/b.txt': '' }))).not.toBe(key);
    // The same content under another name is another context.
    expect(buildKey('img', context({ 'src/a.txt': '', 'src/c.txt': 'a\n' }))).not.toBe(
      buildKey('img', context({ 'src/a.txt': '', 'src/d.txt': 'a\n' })),
    );
    const executable = context();
    chmodSync(join(executable.context, 'src/a.txt'), 0o755);
    expect(buildKey('img', executable)).not.toBe(key);
    const withEmptyDir = context();
    mkdirSync(join(withEmptyDir.context, 'empty'));
    expect(buildKey('img', withEmptyDir)).not.toBe(key);
  });
});

/** A cache in memory, as the action's adapter on @actions/cache behaves. */
function memoryCache(saved: Set<string>, opts: { failRestore?: string } = {}) {
  const kept: { key: string; ref: string }[] = [];
  const cache: ImageCache = {
    async restore(key, ref, engine) {
      if (opts.failRestore) throw new Error(opts.failRestore);
      if (!saved.has(key)) return false;
      await engine.loadImage(Readable.from([JSON.stringify({ image: ref })]));
      return true;
    },
    async keep(key, ref, engine) {
      await engine.saveImage(ref);
      kept.push({ key, ref });
    },
  };
  return { cache, kept };
}

async function runWith(cache: ImageCache, build: BuildSpec) {
  const fake = new FakeEngine({ clock: new FakeClock() });
  const events: ProgressEvent[] = [];
  const t = topology('t', [service('web', { image: undefined, build })]);
  const results = await run(suite([{ ...t, stableMs: 0, waitTimeoutMs: 10_000 }]), {
    engineFactory: () => fake,
    clock: new FakeClock(),
    imageCache: cache,
    progress: { emit: (e) => events.push(e) },
  });
  const notes = events.flatMap((e) => (e.kind === 'note' ? [e.text] : []));
  const phases = events.flatMap((e) => (e.kind === 'service' ? [e.phase] : []));
  return { results, fake, notes, phases };
}

describe('bring-up with an image cache', () => {
  const build = context();
  const key = buildKey('stackcheck-t-web', build);

  it('builds on a miss and hands the built image over under its key', async () => {
    const { cache, kept } = memoryCache(new Set());
    const { results, fake, phases } = await runWith(cache, build);
    expect(results.status).toBe('passed');
    expect(fake.callsTo('buildImage')).toHaveLength(1);
    expect(phases).toContain('building');
    expect(kept).toEqual([{ key, ref: 'stackcheck-t-web' }]);
  });

  it('loads instead of building on a hit, and hands nothing over', async () => {
    const { cache, kept } = memoryCache(new Set([key]));
    const { results, fake, notes, phases } = await runWith(cache, build);
    expect(results.status).toBe('passed');
    expect(fake.callsTo('buildImage')).toEqual([]);
    expect(fake.callsTo('loadImage')).toHaveLength(1);
    expect(phases).not.toContain('building');
    expect(notes).toContain(
      `image cache: stackcheck-t-web for "web" restored (build key ${key.slice(0, 12)}), not built`,
    );
    expect(kept).toEqual([]);
  });

  it('builds without the cache where the build context cannot be read', async () => {
    const { cache, kept } = memoryCache(new Set([key]));
    const gone = { ...build, context: join(build.context, 'missing') };
    const { fake, notes } = await runWith(cache, gone);
    expect(fake.callsTo('buildImage')).toHaveLength(1);
    expect(kept).toEqual([]);
    expect(notes).toContainEqual(
      expect.stringMatching(
        /^image cache: the build context of stackcheck-t-web cannot be read \(ENOENT.*\); building it without the cache$/,
      ),
    );
  });

  it('builds when the cache fails, with a warning, and the run passes', async () => {
    const { cache } = memoryCache(new Set([key]), { failRestore: 'cache service down' });
    const { results, fake, notes } = await runWith(cache, build);
    expect(results.status).toBe('passed');
    expect(fake.callsTo('buildImage')).toHaveLength(1);
    expect(notes).toContain(
      'image cache: restoring stackcheck-t-web for "web" failed (cache service down); building it',
    );
  });
});
