import { describe, expect, it } from 'vitest';
import { diff } from '../../src/checks/kinds/diff.js';
import { diffSchema } from '../../src/checks/kinds/diff.schema.js';
import type { Runtime } from '../../src/live/runtime.js';
import { entrySchema } from '../../src/checks/schema.js';
import { diffSnapshots, formatDifference } from '../../src/snapshot/diff.js';
import { globToRegExp, ignored, compileIgnore } from '../../src/snapshot/ignore.js';
import type { Value } from '../../src/snapshot/model.js';
import type { SnapshotSpec } from '../../src/model/suite.js';
import { keepSnapshot } from '../../src/snapshot/store.js';
import { FakeClock } from '../support/fake-clock.js';
import { suite } from '../support/specs.js';

const snap = (entries: Record<string, Value>) => ({ entries });
const file = (sha256: string, size = 3, mode = '0644'): Value => ({
  type: 'file',
  sha256,
  size,
  mode,
});

describe('ignore globs', () => {
  it('match within one segment with *, across segments with **', () => {
    expect(globToRegExp('env/*').test('env/HOSTNAME')).toBe(true);
    expect(globToRegExp('env/*').test('env/A/B')).toBe(false);
    expect(globToRegExp('files/data/**').test('files/data/a/b/c.bin')).toBe(true);
    expect(globToRegExp('files/data/**').test('files/data')).toBe(true);
    expect(globToRegExp('files/data/**').test('files/database')).toBe(false);
    expect(globToRegExp('*/ports/**').test('api/ports/8080/tcp')).toBe(true);
    expect(globToRegExp('files/**/*.tmp').test('files/x.tmp')).toBe(true);
    expect(globToRegExp('files/**/*.tmp').test('files/a/b/x.tmp')).toBe(true);
    expect(globToRegExp('files/a.b').test('files/aXb')).toBe(false);
  });

  it('leave out a whole key, or only the fields named after #', () => {
    const rules = compileIgnore(['env/HOSTNAME', 'files/**#mode']);
    expect(ignored(rules, 'env/HOSTNAME')).toBe(true);
    expect(ignored(rules, 'files/data/a')).toEqual(new Set(['mode']));
    expect(ignored(rules, 'env/PATH')).toEqual(new Set());
  });
});

describe('diffSnapshots', () => {
  const left = snap({
    'files/data/same.txt': file('aaa'),
    'files/data/changed.txt': file('bbb', 3),
    'files/data/only-left.txt': file('ccc'),
    'env/HOSTNAME': 'main-1',
    'env/MODE': 'prod',
    image: 'app:1',
  });
  const right = snap({
    'files/data/same.txt': file('aaa'),
    'files/data/changed.txt': file('ddd', 4),
    'files/data/only-right.txt': file('eee'),
    'env/HOSTNAME': 'pc2-1',
    'env/MODE': 'prod',
    image: 'app:1',
  });

  it('reports every difference with its key, field and both values, sorted by key', () => {
    expect(diffSnapshots(left, right)).toEqual([
      { key: 'env/HOSTNAME', left: 'main-1', right: 'pc2-1' },
      { key: 'files/data/changed.txt', field: 'sha256', left: 'bbb', right: 'ddd' },
      { key: 'files/data/changed.txt', field: 'size', left: '3', right: '4' },
      {
        key: 'files/data/only-left.txt',
        left: 'type=file sha256=ccc size=3 mode=0644',
        right: '(absent)',
      },
      {
        key: 'files/data/only-right.txt',
        left: '(absent)',
        right: 'type=file sha256=eee size=3 mode=0644',
      },
    ]);
  });

  it('leaves out what the ignore rules name', () => {
    const d = diffSnapshots(left, right, ['env/HOSTNAME', 'files/data/only-*', 'files/**#size']);
    expect(d).toEqual([
      { key: 'files/data/changed.txt', field: 'sha256', left: 'bbb', right: 'ddd' },
    ]);
  });

  it('finds nothing between equal snapshots', () => {
    expect(diffSnapshots(left, structuredClone(left))).toEqual([]);
  });

  it('says that secrets differ without showing either value', () => {
    const a = snap({
      'env/DB_PASSWORD': { secret: true, digest: '1111' },
      'commands/x': { exit: 0, stdout: '***', stdoutSecrets: { secret: true, digest: 'aa' } },
    });
    const b = snap({
      'env/DB_PASSWORD': { secret: true, digest: '2222' },
      'commands/x': { exit: 0, stdout: '***', stdoutSecrets: { secret: true, digest: 'bb' } },
    });
    const d = diffSnapshots(a, b);
    expect(d).toEqual([
      { key: 'commands/x', field: 'stdoutSecrets', left: '(secret)', right: '(secret)' },
      { key: 'env/DB_PASSWORD', left: '(secret)', right: '(secret)' },
    ]);
    expect(d.map((x) => formatDifference(x, ['a', 'b']))).toEqual([
      'commands/x#stdoutSecrets: secret values differ',
      'env/DB_PASSWORD: secret values differ',
    ]);
    expect(diffSnapshots(a, structuredClone(a))).toEqual([]);
  });

  it('formats a difference with both sides named', () => {
    expect(
      formatDifference({ key: 'files/a', field: 'sha256', left: 'x', right: 'y' }, [
        'main/api',
        'pc2/api',
      ]),
    ).toBe('files/a#sha256: main/api x ≠ pc2/api y');
  });
});

describe('diff check: expect', () => {
  const rt = {} as Runtime;
  const taken = (name: string, entries: Record<string, Value>, incomplete: string[] = []) =>
    keepSnapshot(rt, name, {
      name: 'data',
      subject: 'main/store',
      takenAt: '2025-01-01T00:00:00Z',
      entries,
      incomplete,
    });
  taken('a', { 'files/x': file('aaa'), 'env/MODE': 'prod' });
  taken('same', { 'files/x': file('aaa'), 'env/MODE': 'prod' });
  taken('changed', { 'files/x': file('bbb'), 'env/MODE': 'prod' });
  taken('short', { 'files/x': file('aaa') }, ['main/store /data: more than 1 files']);
  taken('short-changed', { 'files/x': file('bbb') }, ['main/store /data: more than 1 files']);

  const check = (right: string, expect?: { equal: boolean }) =>
    diff.attempt(
      entrySchema(diffSchema as never).parse({
        name: 'd',
        diff: { snapshot: 'data', left: { taken: 'a' }, right: { taken: right } },
        ...(expect && { expect }),
      }) as never,
      {
        suite: { ...suite([]), snapshots: { data: { ignore: [] } as unknown as SnapshotSpec } },
        runtime: rt,
        clock: new FakeClock(),
        signal: new AbortController().signal,
      },
    );

  it('by default passes equal sides and fails different ones', async () => {
    expect(await check('same')).toMatchObject({ status: 'passed' });
    expect(await check('changed')).toMatchObject({
      status: 'failed',
      message: expect.stringMatching(/^1 difference: files\/x#sha256: /),
    });
  });

  it('with equal: false, passes different sides listing the differences, fails equal ones saying so', async () => {
    const differ = await check('changed', { equal: false });
    expect(differ.status).toBe('passed');
    expect(differ.message).toBe(
      '1 difference: files/x#sha256: main/store (taken as a) aaa ≠ main/store (taken as changed) bbb',
    );
    expect(differ.evidence.differences).toEqual([differ.message.slice('1 difference: '.length)]);

    const agree = await check('same', { equal: false });
    expect(agree).toMatchObject({
      status: 'failed',
      message:
        'main/store (taken as a) and main/store (taken as same) agree on 2 keys; expected them to differ (expect: { equal: false })',
    });
    expect(agree.evidence.differences).toEqual([]);
  });

  it('with equal: false, does not count keys an incomplete snapshot lacks as a difference', async () => {
    const lacks = await check('short', { equal: false });
    expect(lacks.status).toBe('error');
    expect(lacks.message).toBe(
      'the only differences are keys one side lacks, but the snapshots are incomplete: main/store /data: more than 1 files',
    );
    // A value both sides read, and that differs, is a difference however incomplete the rest.
    const changed = await check('short-changed', { equal: false });
    expect(changed.status).toBe('passed');
    expect(changed.message).toMatch(/^2 differences: .*\(and the snapshots are incomplete: /);
  });
});
