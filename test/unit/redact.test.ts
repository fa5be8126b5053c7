import { describe, expect, it } from 'vitest';
import { redactor, secretValues } from '../../src/report/redact.js';

describe('secret redaction', () => {
  it('collects declared, secret-looking and service-environment secrets', () => {
    const values = secretValues(
      ['DB_URL'],
      {
        DB_URL: 'postgres://u:hunter2@db/x',
        GITHUB_TOKEN: 'ghp_abcdef',
        HOME: '/root',
        SHORT_TOKEN: 'abc',
      },
      [{ POSTGRES_PASSWORD: 'example-pw', MODE: 'dev' }],
    );
    expect(values.sort()).toEqual(['example-pw', 'ghp_abcdef', 'postgres://u:hunter2@db/x']);
  });

  it('masks every occurrence in nested results, keys untouched', () => {
    const r = redactor(['hunter22', 'hunter2233']);
    expect(
      r.deep({
        message: 'login hunter2233 failed',
        evidence: { stdout: ['x hunter22 y'], n: 3 },
        hunter22: true,
      }),
    ).toEqual({
      message: 'login *** failed',
      evidence: { stdout: ['x *** y'], n: 3 },
      hunter22: true,
    });
    expect(redactor([]).text('nothing to hide')).toBe('nothing to hide');
  });
});
