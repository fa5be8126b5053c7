import { describe, expect, it } from 'vitest';
import { parseJsonPath, subsetMismatch, valueAt } from '../../src/model/jsonpath.js';
import { excerpt, regexProblems, textMismatch } from '../../src/model/match.js';

describe('text matching', () => {
  it('a plain string means contains', () => {
    expect(textMismatch('machine-7 ready', 'machine-7')).toBeUndefined();
    expect(textMismatch('unknown', 'machine')).toBe('does not contain "machine"');
  });

  it('combines equals, contains, regex and not', () => {
    expect(textMismatch('gpu0\n', { regex: '^gpu\\d$' })).toBeUndefined();
    expect(textMismatch('x', { equals: 'y' })).toBe('is not "y"');
    expect(textMismatch('machine_id: unknown', { not: 'unknown' })).toBe('contains "unknown"');
    expect(
      textMismatch('machine_id: m1', { contains: 'machine_id', not: 'unknown' }),
    ).toBeUndefined();
    expect(textMismatch('panic: oh', { not: { regex: 'panic|FATAL' } })).toMatch(/must not/);
  });

  it('reports invalid regular expressions for load-time errors', () => {
    expect(regexProblems({ regex: '(' })).toHaveLength(1);
    expect(regexProblems({ not: { regex: '[' } })).toHaveLength(1);
    expect(regexProblems('(')).toEqual([]);
  });

  it('cuts long evidence', () => {
    expect(excerpt('a'.repeat(600), 10)).toBe('aaaaaaaaaa… (590 more characters)');
  });
});

describe('JSON expectations', () => {
  const doc = { items: [{ id: 3, tags: ['a'] }], 'odd key': true, state: 'alive' };

  it('reads the supported JSONPath subset', () => {
    expect(valueAt(doc, parseJsonPath('$.items[0].id') as never)).toEqual({
      found: true,
      value: 3,
    });
    expect(valueAt(doc, parseJsonPath("$['odd key']") as never)).toEqual({
      found: true,
      value: true,
    });
    expect(valueAt(doc, parseJsonPath('$.items[-1].tags[0]') as never)).toEqual({
      found: true,
      value: 'a',
    });
    expect(valueAt(doc, parseJsonPath('$.items[5]') as never)).toEqual({ found: false });
  });

  it('refuses what it does not implement instead of guessing', () => {
    expect(parseJsonPath('$.items[*].id')).toMatch(/cannot read/);
    expect(parseJsonPath('items')).toMatch(/must start with "\$"/);
  });

  it('matches objects by subset, arrays element-wise, scalars exactly', () => {
    expect(subsetMismatch(doc, { state: 'alive', items: [{ id: 3 }] })).toBeUndefined();
    expect(subsetMismatch(doc, { state: 'stale' })).toBe('$.state is "alive", expected "stale"');
    expect(subsetMismatch(doc, { missing: 1 })).toBe('$.missing is missing');
    expect(subsetMismatch(doc, { items: [{}, {}] })).toBe(
      '$.items has 1 items, expected at least 2',
    );
    expect(subsetMismatch({ memory_ok: 'true' }, { memory_ok: true })).toMatch(/expected true/);
  });
});
