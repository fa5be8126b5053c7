import { describe, expect, it } from 'vitest';
import { kindOf } from '../../src/checks/registry.js';
import { KIND_NAMES, kindSchemaOf } from '../../src/checks/schema.js';
import { Registry } from '../../src/model/registry.js';
import { stepOf } from '../../src/scenarios/registry.js';
import { STEP_KEYS, stepSchemaOf } from '../../src/scenarios/schema.js';

describe('Registry', () => {
  const r = new Registry('thing', [{ n: 'b' }, { n: 'a' }], (x) => x.n);

  it('finds each entry by its name and keeps their order', () => {
    expect(r.names).toEqual(['b', 'a']);
    expect(r.of('a')).toEqual({ n: 'a' });
  });

  it('names what it is asked for that it does not have', () => {
    expect(() => r.of('c')).toThrow('unknown thing "c"');
  });
});

describe('both halves of each family name the same kinds', () => {
  it('check kinds: every schema has its attempt', () => {
    for (const name of KIND_NAMES) expect(kindOf(name).kind).toBe(kindSchemaOf(name).kind);
  });

  it('steps: every schema has its run, faults among them', () => {
    for (const key of STEP_KEYS.filter((k) => k !== 'check'))
      expect(stepOf(key).key).toBe(stepSchemaOf(key).key);
    expect(STEP_KEYS).toEqual(expect.arrayContaining(['pause', 'partition', 'down']));
  });
});
