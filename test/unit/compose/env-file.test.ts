import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseEnvFile, readEnvFile } from '../../../src/compose/env-file.js';
import { FIXTURES, problems } from './helpers.js';

describe('parseEnvFile', () => {
  it('follows compose .env rules for every form in a realistic file', () => {
    const text = readFileSync(resolve(FIXTURES, 'envfiles/app.env'), 'utf8');
    expect(parseEnvFile(text, 'app.env', { FROM_ENV: 'from the runner' })).toEqual({
      PLAIN: 'value',
      EXPORTED: 'yes',
      SPACED: 'padded value',
      INLINE: 'value',
      HASH: 'value#not-a-comment',
      SINGLE: 'literal $HOME \\n',
      DOUBLE: 'tab\there "quoted" \\ back',
      ESCAPED_SINGLE: "Let's go!",
      EMPTY: '',
      EMPTY_QUOTED: '',
      QUOTED_COMMENT: 'keep # this',
      REF: 'value-suffix',
      DEFAULTED: 'fallback',
      FROM_ENV: 'from the runner',
      MULTI: 'line one\nline two',
      JSON: '{"a": 1}',
    });
  });

  it('leaves a bare KEY out when the environment does not set it', () => {
    expect(parseEnvFile('A=1\nUNSET_ONE\n', 'x.env', {})).toEqual({ A: '1' });
  });

  it('takes the environment before earlier lines when interpolating, and keeps $$ literal', () => {
    expect(parseEnvFile('A=file\nB=${A}\nC=$$A\n', 'x.env', { A: 'env' })).toEqual({
      A: 'file',
      B: 'env',
      C: '$A',
    });
  });

  it('reports every malformed line with its line and column', () => {
    const text = readFileSync(resolve(FIXTURES, 'envfiles/bad.env'), 'utf8');
    expect(problems(() => parseEnvFile(text, 'bad.env'))).toEqual([
      'bad.env:2:1 malformed line in env file: this is not a line',
      'bad.env:4:1 malformed line in env file: =novalue',
      'bad.env:5:10 unterminated " quote in env file',
    ]);
  });

  it('reports text after a closing quote and a required variable', () => {
    expect(problems(() => parseEnvFile('A="x" y\nB=${NEED:?NEED must be set}\n', 'e.env'))).toEqual(
      ['e.env:1:1 unexpected text after the closing quote: y', 'e.env:2:3 B: NEED must be set'],
    );
  });

  it('reads a file and reports a missing one where it was named', () => {
    expect(readEnvFile(resolve(FIXTURES, 'override/web.env'))).toEqual({
      FOO: 'from-file',
      QUX: 'from-file',
      TOKEN: 'abc def',
    });
    const at = { file: 'compose.yaml', line: 7, column: 15 };
    expect(problems(() => readEnvFile('/nonexistent/x.env', at, {}, 'x.env'))).toEqual([
      'compose.yaml:7:15 env file not found: x.env',
    ]);
  });
});
