import { describe, expect, it } from 'vitest';
import { interpolateString, interpolateTree } from '../../src/common/interpolate.js';

const env = { A: 'a', EMPTY: '', N: '3' };
function interp(text: string) {
  const issues: string[] = [];
  const value = interpolateString(text, env, (sev, msg) => issues.push(`${sev}: ${msg}`));
  return { value, issues };
}

describe('interpolation as compose does it', () => {
  it.each([
    ['plain', 'plain'],
    ['$A-${A}', 'a-a'],
    ['${MISSING:-d}', 'd'],
    ['${EMPTY:-d}', 'd'],
    ['${EMPTY-d}', ''],
    ['${MISSING-d}', 'd'],
    ['${A:+set}', 'set'],
    ['${EMPTY:+set}', ''],
    ['${EMPTY+set}', 'set'],
    ['${MISSING:-${A}x}', 'ax'],
    ['cost: $$5 and $$A', 'cost: $5 and $A'],
    ['trailing $', 'trailing $'],
    ['${N}', '3'],
  ])('%s → %s', (text, expected) => {
    expect(interp(text)).toEqual({ value: expected, issues: [] });
  });

  it('warns about an unset variable without a default and substitutes nothing', () => {
    expect(interp('x${NOPE}y')).toEqual({
      value: 'xy',
      issues: ['warning: variable NOPE is not set; using an empty string'],
    });
  });

  it('reports ${VAR:?message} as an error with the message', () => {
    expect(interp('${NOPE:?set NOPE to the GPU count}').issues).toEqual([
      'error: set NOPE to the GPU count',
    ]);
    expect(interp('${EMPTY?must exist}').issues).toEqual([]);
  });

  it('rejects an unterminated expression', () => {
    expect(() => interp('${A')).toThrow(/invalid interpolation|unterminated/);
  });

  it('interpolates values of a tree, never keys, and keeps the path of each issue', () => {
    const { value, issues } = interpolateTree({ '${A}': { list: ['$A', '${B:?need B}'] } }, env);
    expect(value).toEqual({ '${A}': { list: ['a', ''] } });
    expect(issues).toEqual([{ path: ['${A}', 'list', 1], message: 'need B', severity: 'error' }]);
  });
});
