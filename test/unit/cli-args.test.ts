import { describe, expect, it } from 'vitest';
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
    expect(parseCommand(['down', '--run', 'ab12'])).toEqual({
      name: 'down',
      manifest: undefined,
      runId: 'ab12',
      all: false,
    });
  });

  it.each([
    [['rnu'], /unknown command "rnu"/],
    [['run', '--kep'], /Unknown option '--kep'/],
    [['run', 'a.yml', 'b.yml'], /unexpected argument "b.yml"/],
    [['down', '--run', 'x', '--all'], /exclude each other/],
  ])('%j is a usage error', (argv, message) => {
    expect(() => parseCommand(argv)).toThrow(UserError);
    expect(() => parseCommand(argv)).toThrow(message);
  });
});
