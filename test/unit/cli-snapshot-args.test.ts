import { describe, expect, it } from 'vitest';
import { parseCommand } from '../../src/cli/args.js';
import { UserError } from '../../src/common/errors.js';

describe('stackcheck snapshot and diff arguments', () => {
  it('reads snapshot with its defaults and options', () => {
    expect(parseCommand(['snapshot'])).toEqual({
      name: 'snapshot',
      manifest: 'stackcheck.yml',
      out: 'stackcheck-snapshot.json',
    });
    expect(
      parseCommand(['snapshot', 'm.yml', '--out', 'pre.json', '--topologies', 'a, b']),
    ).toEqual({
      name: 'snapshot',
      manifest: 'm.yml',
      out: 'pre.json',
      topologies: ['a', 'b'],
    });
    expect(parseCommand(['run', '--snapshot', 'post.json'])).toMatchObject({
      snapshot: 'post.json',
    });
  });

  it('reads diff with repeated --ignore, and wants exactly two files', () => {
    expect(
      parseCommand([
        'diff',
        'a.json',
        'b.json',
        '--ignore',
        'env/**',
        '--ignore',
        '*/ports/**',
        '--left-of',
        'node main',
      ]),
    ).toEqual({
      name: 'diff',
      left: 'a.json',
      right: 'b.json',
      snapshot: undefined,
      leftOf: 'node main',
      rightOf: undefined,
      ignore: ['env/**', '*/ports/**'],
    });
    expect(() => parseCommand(['diff', 'a.json'])).toThrow(UserError);
    expect(() => parseCommand(['diff', 'a.json'])).toThrow(
      /diff compares two snapshot files, 1 given/,
    );
    expect(() => parseCommand(['diff', 'a', 'b', 'c'])).toThrow(/unexpected argument "c"/);
  });
});
