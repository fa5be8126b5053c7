import fc from 'fast-check';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCommand } from '../../src/cli/args.js';
import { isUserError } from '../../src/common/errors.js';
import { cli, workdir } from '../support/cli.js';

const SEED = Number(process.env.STACKCHECK_FUZZ_SEED ?? 20261204);
const RUNS = Number(process.env.STACKCHECK_FUZZ_RUNS ?? 50);

/** Words a command line is made of: commands, options (some misspelt), values, paths. */
const WORDS = [
  'run',
  'validate',
  'down',
  'merge',
  'schema',
  'snapshot',
  'diff',
  'help',
  'rnu',
  '--help',
  '--version',
  '--keep',
  '--kep',
  '--json',
  '--junit',
  '--summary',
  '--topologies',
  '--checks',
  '--concurrency',
  '--run',
  '--all',
  '--out',
  '--name',
  '--ignore',
  '--snapshot',
  '--json=',
  '--keep=yes',
  '-k',
  '-',
  '--',
  '=',
  '0',
  '-1',
  '8',
  'x',
  '(',
  'stackcheck.yml',
  '.',
  '/',
  'reports/',
  'nope.yml',
  'a,b',
  '',
  ' ',
  '--concurrency=abc',
  '--json=-',
  '\u00e9',
];

describe('any command line: a command, or a usage error with a hint', () => {
  it('never throws anything else', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...WORDS), { maxLength: 6 }), (argv) => {
        try {
          parseCommand(argv);
        } catch (e) {
          if (!isUserError(e)) throw e;
          for (const p of e.problems) {
            expect(p.message).not.toMatch(/\n/);
            expect(p.hint, p.message).toBeTruthy();
          }
        }
      }),
      { seed: SEED, numRuns: RUNS * 20 },
    );
  });
});

/*
 * The CLI as users run it (dist/cli.js, rebuilt by `npm run build`): each class of bad input
 * ends in exit 2 with `error: file:line:col: …` and a hint, never a stack trace, and nothing
 * is started.
 */
const MANIFEST = 'version: 1\nname: fuzz\ntopologies:\n  app:\n    compose: compose.yml\n';
const COMPOSE = 'services:\n  web:\n    image: busybox\n';

describe('the CLI on bad input: exit 2, the position, a hint, no stack trace', () => {
  it.each([
    [
      'an alias without its anchor (manifest)',
      { 'stackcheck.yml': MANIFEST.replace('name: fuzz', 'name: *fuzz') },
      /^error: stackcheck\.yml:2:7: alias \*fuzz has no anchor &fuzz before it\n {2}Set the anchor/,
    ],
    [
      'a merge key given a scalar (compose file)',
      { 'compose.yml': `${COMPOSE}    <<: 5\n` },
      /^error: compose\.yml:4:9: merge key << takes a mapping.*, not the number 5\n {2}Write <<: \*name/,
    ],
    [
      'an alias inside its own anchor (compose file)',
      { 'compose.yml': 'services: &s\n  web:\n    image: busybox\n    labels: *s\n' },
      /^error: compose\.yml:4:13: alias \*s is inside the value that &s names/,
    ],
    [
      'a compose file that is not UTF-8',
      {
        'compose.yml': Buffer.concat([
          Buffer.from(COMPOSE),
          Buffer.from('    user: \xe9\n', 'latin1'),
        ]),
      },
      /^error: compose\.yml:4:11: not UTF-8 text: byte 0xE9 cannot be read\n {2}Save the file as UTF-8/,
    ],
    [
      'an empty manifest',
      { 'stackcheck.yml': '' },
      /^error: stackcheck\.yml:1:1: the file is empty/,
    ],
    [
      'a compose file that is a folder',
      { 'compose.yml': null },
      /^error: stackcheck\.yml:5:14: compose\.yml: a folder, not a file/,
    ],
  ])(
    '%s',
    async (_, files, expected) => {
      const dir = workdir({ 'stackcheck.yml': MANIFEST, 'compose.yml': COMPOSE });
      for (const [name, content] of Object.entries(files)) {
        const path = join(dir, name);
        // null: a folder where the file was.
        if (content === null) {
          rmSync(path);
          mkdirSync(path);
        } else writeFileSync(path, content);
      }
      const r = await cli(['validate'], { cwd: dir });
      expect(r.stderr).toMatch(expected);
      expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
      expect(r.code).toBe(2);
    },
    30_000,
  );

  it('a folder for the manifest, an unknown option, a report path that is a folder', async () => {
    const dir = workdir({ 'app/stackcheck.yml': MANIFEST, 'app/compose.yml': COMPOSE });
    const results = await Promise.all([
      cli(['validate', 'app'], { cwd: dir }),
      cli(['run', 'app/stackcheck.yml', '--kep'], { cwd: dir }),
      cli(['run', 'app/stackcheck.yml', '--json', 'app'], { cwd: dir }),
    ]);
    expect(results.map((r) => [r.code, r.stderr])).toEqual([
      [
        2,
        'error: app: a folder, not a manifest file\n  Name the manifest in it: app/stackcheck.yml.\n',
      ],
      [
        2,
        'error: unknown option --kep\n  Did you mean --keep? Run `stackcheck --help` for usage.\n',
      ],
      [
        2,
        'error: --json app: a folder, not a file\n  Name the file to write, e.g. --json app/results.json.\n',
      ],
    ]);
  }, 30_000);
});
