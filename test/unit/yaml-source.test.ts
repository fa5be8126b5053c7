import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/common/errors.js';
import { parseYaml } from '../../src/common/yaml-source.js';

const text = `version: 1
topologies:
  queen:
    services:
      queen:
        image: q
        ports: ["8500:8500"]
`;

describe('YAML with positions', () => {
  const src = parseYaml(text, 'm.yml');
  it('finds the value and the key of a path, 1-based', () => {
    expect(src.posOf(['topologies', 'queen', 'services', 'queen', 'image'])).toEqual({
      file: 'm.yml',
      line: 6,
      column: 16,
    });
    expect(src.keyPosOf(['topologies', 'queen', 'services', 'queen', 'image'])).toEqual({
      file: 'm.yml',
      line: 6,
      column: 9,
    });
    expect(src.posOf(['topologies', 'queen', 'services', 'queen', 'ports', 0])).toEqual({
      file: 'm.yml',
      line: 7,
      column: 17,
    });
  });

  it('falls back to the nearest existing ancestor', () => {
    expect(src.posOf(['topologies', 'queen', 'nope', 'deeper'])).toEqual({
      file: 'm.yml',
      line: 4,
      column: 5,
    });
  });

  it('reports syntax errors at their line and column', () => {
    try {
      parseYaml('a: 1\nb: [1, 2\n', 'bad.yml');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(UserError);
      const p = (e as UserError).problems[0]!;
      expect(p.message).toMatch(/^YAML syntax/);
      expect(p.pos?.file).toBe('bad.yml');
      expect(p.pos?.line).toBeGreaterThanOrEqual(2);
    }
  });

  it('rejects duplicate keys', () => {
    expect(() => parseYaml('a: 1\na: 2\n', 'dup.yml')).toThrow(
      /dup\.yml:2:1: YAML syntax: Map keys must be unique/,
    );
  });
});
