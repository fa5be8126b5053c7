import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseCommand } from '../../src/cli/args.js';
import { UserError } from '../../src/common/errors.js';

describe('CLI arguments', () => {
  it('defaults the manifest to stackcheck.yml', () => {
    expect(parseCommand(['run'])).toEqual({
      name: 'run',
      manifest: 'stackcheck.yml',
      keep: false,
      json: undefined,
    });
    expect(parseCommand(['validate', 'x.yml'])).toEqual({ name: 'validate', manifest: 'x.yml' });
  });

  it('reads run and down options', () => {
    expect(parseCommand(['run', 's.yml', '--keep', '--json', 'r.json'])).toEqual({
      name: 'run',
      manifest: 's.yml',
      keep: true,
      json: 'r.json',
    });
    expect(parseCommand(['run', '--verbose'])).toMatchObject({ name: 'run', verbose: true });
    expect(parseCommand(['run', '--html', 'run.html'])).toMatchObject({ html: 'run.html' });
    // `report` is merge under the name one looks for with one run's results.
    expect(parseCommand(['report', 'results.json', '--html', 'r.html'])).toEqual({
      name: 'merge',
      paths: ['results.json'],
      json: undefined,
      junit: undefined,
      summary: undefined,
      html: 'r.html',
    });
    expect(parseCommand(['down', '--run', 'ab12'])).toEqual({
      name: 'down',
      manifest: undefined,
      runId: 'ab12',
      all: false,
    });
  });

  it.each([
    [['rnu'], /unknown command "rnu"/],
    [['run', '--kep'], /unknown option --kep/],
    [['run', 'a.yml', 'b.yml'], /unexpected argument "b.yml"/],
    [['down', '--run', 'x', '--all'], /exclude each other/],
  ])('%j is a usage error', (argv, message) => {
    expect(() => parseCommand(argv)).toThrow(UserError);
    expect(() => parseCommand(argv)).toThrow(message);
  });
});

describe('argument errors: one line saying what is wrong, and a hint', () => {
  const dir = mkdtempSync(join(tmpdir(), 'stackcheck-args-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const problem = (argv: string[]) => {
    try {
      parseCommand(argv);
    } catch (e) {
      if (e instanceof UserError) return e.problems.map((p) => `${p.message} | ${p.hint}`);
      throw e;
    }
    return [];
  };

  it.each([
    [
      ['run', '--kep'],
      'unknown option --kep | Did you mean --keep? Run `stackcheck --help` for usage.',
    ],
    [
      ['schema', '--json'],
      'unknown option --json | This command takes no options. Run `stackcheck --help` for usage.',
    ],
    [
      ['run', '--json'],
      '--json needs a value | Write --json VALUE (a value that starts with "-" as --json=-VALUE). Run `stackcheck --help` for usage.',
    ],
    [
      ['run', '--json', '--keep'],
      '--json needs a value | Write --json VALUE (a value that starts with "-" as --json=-VALUE). Run `stackcheck --help` for usage.',
    ],
    [['run', '--keep=yes'], '--keep takes no value | Write --keep alone.'],
    [
      ['report'],
      'report needs the results to report | For example: stackcheck report results.json --html report.html',
    ],
    [
      ['merge', 'a.json', '--summary', 'reports/'],
      '--summary reports/: a folder, not a file | Name the file to write, e.g. --summary reports/summary.md.',
    ],
  ])('%j', (argv, expected) => {
    expect(problem(argv)).toEqual([expected]);
  });

  it('refuses an existing folder where a report file is written, before anything runs', () => {
    expect(problem(['run', '--junit', dir])).toEqual([
      `--junit ${dir}: a folder, not a file | Name the file to write, e.g. --junit ${join(dir, 'junit.xml')}.`,
    ]);
  });
});
