import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { privateKeyLines, redactor, secretValues } from '../../src/common/redact.js';

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

  it('masks the lines of private key files (an ssh identity, a TLS key), never their armour', () => {
    const dir = mkdtempSync(join(tmpdir(), 'stackcheck-redact-'));
    const tlsKey = join(dir, 'key.pem');
    execFileSync('openssl', [
      'ecparam',
      '-name',
      'prime256v1',
      '-genkey',
      '-noout',
      '-out',
      tlsKey,
    ]);
    const text = readFileSync(tlsKey, 'utf8');
    const lines = privateKeyLines([tlsKey, join(dir, 'missing'), undefined]);
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.join('\n')).not.toContain('-----');
    const printed = redactor(lines).text(`cat says:\n${text}`);
    expect(printed).toContain('-----BEGIN EC PRIVATE KEY-----');
    for (const l of lines) expect(printed).not.toContain(l);
  });
});
