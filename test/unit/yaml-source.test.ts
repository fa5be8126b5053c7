import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { formatPos, UserError } from '../../src/common/errors.js';
import { parseYaml, readYamlFile } from '../../src/common/yaml-source.js';

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

/** `file:line:col message` of each problem, or the data when the text is valid. */
function outcome(text: string): unknown {
  try {
    return parseYaml(text, 'f.yml').data;
  } catch (e) {
    if (!(e instanceof UserError)) throw e;
    return e.problems.map((p) => `${p.pos?.line}:${p.pos?.column} ${p.message}`);
  }
}

describe('what the YAML package rejects only while building values is a user error at its line', () => {
  it.each([
    ['an alias before its anchor', 'b: *a\na: &a 1\n', ['1:4 alias *a has no anchor &a before it']],
    [
      'an alias of no anchor',
      'a: &a 1\nb: *nope\n',
      ['2:4 alias *nope has no anchor &nope before it'],
    ],
    [
      'an alias inside its own anchor',
      'a: &x\n  b: *x\n',
      ['2:6 alias *x is inside the value that &x names, so it would contain itself'],
    ],
    [
      'a merge of a number',
      'base: &b 5\nsvc:\n  <<: *b\n',
      [
        '3:7 merge key << takes a mapping, an alias of one (*name) or a list of them, not the number 5',
      ],
    ],
    [
      'a merge of a list of numbers',
      'svc:\n  <<: [1, 2]\n',
      [
        '2:8 merge key << takes a mapping, an alias of one (*name) or a list of them, not the number 1',
      ],
    ],
    [
      'an empty merge',
      'svc:\n  <<:\n  c: 2\n',
      [
        '2:6 merge key << takes a mapping, an alias of one (*name) or a list of them, not an empty value',
      ],
    ],
    [
      'a key that is a list',
      '? [a, b]\n: c\n',
      ['1:3 a key must be a single value, not a mapping or a list'],
    ],
    [
      'tags beyond the core schema',
      'a: !!binary aGk=\nb: !reset x\nc: !custom 1\n',
      [
        '1:4 YAML tag !!binary is not supported by stackcheck',
        '2:4 YAML tag !reset is not supported by stackcheck',
        '3:4 YAML tag !custom is not supported by stackcheck',
      ],
    ],
    [
      'a second document',
      'a: 1\n---\nb: 2\n',
      ['2:1 YAML syntax: a second YAML document starts here (after ---)'],
    ],
    ['an empty file', '# nothing\n', ['1:1 the file is empty (or holds only comments)']],
    [
      'an alias bomb',
      `a: &a [${'x,'.repeat(9)}x]\nb: &b [${'*a,'.repeat(9)}*a]\nc: &c [${'*b,'.repeat(9)}*b]\nd: [${'*c,'.repeat(9)}*c]\n`,
      ['2:8 YAML: Excessive alias count indicates a resource exhaustion attack'],
    ],
  ])('%s', (_, text, expected) => {
    expect(outcome(text)).toEqual(expected);
  });

  it('merges mappings, aliases of them and lists of both, earlier sources winning', () => {
    expect(outcome('base: &b {x: 1, y: 1}\nsvc:\n  <<: [*b, {y: 2, z: 2}]\n  x: 0\n')).toEqual({
      base: { x: 1, y: 1 },
      svc: { x: 0, y: 1, z: 2 },
    });
  });

  it('reads YAML 1.1 files with the same (core) schema: no dates, no yes/no booleans', () => {
    expect(outcome('%YAML 1.1\n---\na: yes\nb: 2001-12-14\n')).toEqual({
      a: 'yes',
      b: '2001-12-14',
    });
  });

  it('reports the first syntax error, and how many follow it', () => {
    const p = (() => {
      try {
        parseYaml('a: [1, 2\nb: c\nd: e: f\n', 'f.yml');
      } catch (e) {
        return (e as UserError).problems;
      }
    })();
    expect(p).toHaveLength(1);
    expect(p![0]!.hint).toMatch(/\(\d+ more YAML errors? after this one, most caused by it\.\)$/);
  });

  it('counts lines as editors do in CRLF files', () => {
    expect(outcome('a: 1\r\nb: *x\r\n')).toEqual(['2:4 alias *x has no anchor &x before it']);
  });
});

describe('reading a YAML file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'stackcheck-yaml-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const problemsOf = (f: () => unknown): string[] => {
    try {
      f();
      return [];
    } catch (e) {
      if (!(e instanceof UserError)) throw e;
      return e.problems.map((p) => `${p.pos ? formatPos(p.pos) + ' ' : ''}${p.message}`);
    }
  };

  it('reports bytes that are not UTF-8 at their line and column', () => {
    writeFileSync(
      join(dir, 'latin1.yml'),
      Buffer.concat([Buffer.from('a: 1\nb: caf'), Buffer.from([0xe9, 0x0a])]),
    );
    expect(problemsOf(() => readYamlFile(join(dir, 'latin1.yml'), 'latin1.yml'))).toEqual([
      'latin1.yml:2:7 not UTF-8 text: byte 0xE9 cannot be read',
    ]);
  });

  it('reads past a BOM, which editors do not show as a character', () => {
    writeFileSync(join(dir, 'bom.yml'), '\uFEFFa: 1\nb: *x\n');
    expect(problemsOf(() => readYamlFile(join(dir, 'bom.yml'), 'bom.yml'))).toEqual([
      'bom.yml:2:4 alias *x has no anchor &x before it',
    ]);
  });

  it('reports a folder or a missing file where it was named', () => {
    const at = { file: 'stackcheck.yml', line: 6, column: 14 };
    expect(problemsOf(() => readYamlFile(dir, 'compose.yml', at))).toEqual([
      'stackcheck.yml:6:14 compose.yml: a folder, not a file',
    ]);
    expect(problemsOf(() => readYamlFile(join(dir, 'nope.yml'), 'nope.yml', at))).toEqual([
      'stackcheck.yml:6:14 nope.yml: file not found',
    ]);
  });
});
