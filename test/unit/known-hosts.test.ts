import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isUserError } from '../../src/common/errors.js';
import { isEncryptedKey } from '../../src/engine/docker.js';
import { fingerprint, parsePublicKey, type PublicKey } from '../../src/common/ssh-keys.js';
import { entriesFor, HostKeyCheck, knownHostName } from '../../src/engine/known-hosts.js';
import { loadSuite } from '../../src/manifest/load.js';
import { workdir } from '../support/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'stackcheck-known-hosts-'));

/** A fresh key pair made by ssh-keygen: its .pub line and its files. */
function keyPair(name: string, type = 'ed25519', passphrase = ''): { pub: string; file: string } {
  const file = join(dir, name);
  execFileSync('ssh-keygen', ['-q', '-t', type, '-N', passphrase, '-f', file]);
  return { pub: readFileSync(`${file}.pub`, 'utf8').trim(), file };
}

const a = keyPair('a');
const b = keyPair('b', 'ecdsa');
const key = (pub: string) => parsePublicKey(pub) as PublicKey;
const line = (pub: string) => pub.split(' ').slice(0, 2).join(' ');

describe('known_hosts, as OpenSSH reads it', () => {
  it('fingerprints a key as ssh-keygen -l prints it', () => {
    const printed = execFileSync('ssh-keygen', ['-lf', `${a.file}.pub`], { encoding: 'utf8' });
    expect(fingerprint(key(a.pub).blob)).toBe(printed.split(' ')[1]);
  });

  it('names a server on port 22 by its host, elsewhere as [host]:port', () => {
    expect(knownHostName('PC2.example', 22)).toBe('pc2.example');
    expect(knownHostName('10.0.0.5', 2222)).toBe('[10.0.0.5]:2222');
  });

  it('matches plain, wildcard, negated and [host]:port names', () => {
    const text = [
      '# a comment',
      `pc2.example,10.0.0.5 ${line(a.pub)}`,
      `*.lab,!bad.lab ${line(b.pub)}`,
      `[10.0.0.5]:2222 ${line(b.pub)} with a comment`,
      '',
    ].join('\n');
    const at = (name: string) => entriesFor(text, 'kh', name).map((e) => [e.line, e.key.type]);
    expect(at('pc2.example')).toEqual([[2, 'ssh-ed25519']]);
    expect(at('10.0.0.5')).toEqual([[2, 'ssh-ed25519']]);
    expect(at('ok.lab')).toEqual([[3, 'ecdsa-sha2-nistp256']]);
    expect(at('bad.lab')).toEqual([]);
    expect(at('[10.0.0.5]:2222')).toEqual([[4, 'ecdsa-sha2-nistp256']]);
    expect(at('other')).toEqual([]);
  });

  it('matches the hashed entries ssh-keygen -H writes, port included', () => {
    const file = join(dir, 'hashed');
    writeFileSync(file, `pc2.example ${line(a.pub)}\n[10.0.0.5]:2222 ${line(b.pub)}\n`);
    execFileSync('ssh-keygen', ['-q', '-H', '-f', file], { stdio: 'ignore' });
    const text = readFileSync(file, 'utf8');
    expect(text).not.toContain('pc2.example');
    expect(entriesFor(text, file, 'pc2.example').map((e) => e.key.type)).toEqual(['ssh-ed25519']);
    expect(entriesFor(text, file, '[10.0.0.5]:2222').map((e) => e.key.type)).toEqual([
      'ecdsa-sha2-nistp256',
    ]);
    expect(entriesFor(text, file, '10.0.0.5')).toEqual([]);
  });

  it('keeps @revoked entries as revoked, leaves @cert-authority out', () => {
    const text = `@revoked * ${line(a.pub)}\n@cert-authority *.lab ${line(b.pub)}\n`;
    expect(entriesFor(text, 'kh', 'x.lab').map((e) => [e.revoked, e.key.type])).toEqual([
      [true, 'ssh-ed25519'],
    ]);
  });

  it('refuses a revoked key even among trusted ones, and asks for known key types first', () => {
    const file = join(dir, 'revoking');
    writeFileSync(file, `pc2 ${line(b.pub)}\n@revoked pc2 ${line(a.pub)}\n`);
    const check = new HostKeyCheck({
      node: 'n2',
      host: 'pc2',
      port: 22,
      files: [file],
      acceptNew: true,
    });
    expect(check.preferredAlgorithms()).toEqual(['ecdsa-sha2-nistp256', 'ssh-ed25519']);
    let err: unknown;
    try {
      check.verify(key(a.pub).blob);
    } catch (e) {
      err = e;
    }
    expect(isUserError(err)).toBe(true);
    expect((err as Error).message).toContain(
      `the ssh host key of pc2 (port 22) is revoked, so stackcheck did not log in: the server offered the ED25519 key ${fingerprint(key(a.pub).blob)}, which ${file}:2 marks @revoked`,
    );
    expect(() => check.verify(key(b.pub).blob)).not.toThrow();
  });

  it('a key of a type none is recorded for is unknown, not changed (as OpenSSH judges it)', () => {
    const file = join(dir, 'other-type');
    writeFileSync(file, `pc2 ${line(b.pub)}\n`);
    const check = new HostKeyCheck({
      node: 'n2',
      host: 'pc2',
      port: 22,
      files: [file],
      acceptNew: false,
    });
    expect(() => check.verify(key(a.pub).blob)).toThrow(
      `is not known, so stackcheck did not log in: the server offered the ED25519 key ${fingerprint(key(a.pub).blob)}, and only keys of other types are recorded for it (ECDSA, in ${file})`,
    );
  });

  it('accept-new holds the first key for the run: a second, different one is refused as changed', () => {
    const file = join(dir, 'sub', 'known_hosts');
    const check = new HostKeyCheck({
      node: 'n2',
      host: 'pc2',
      port: 2222,
      files: [file],
      acceptNew: true,
    });
    check.verify(key(a.pub).blob);
    expect(check.notices).toHaveLength(1);
    expect(readFileSync(file, 'utf8')).toBe(`[pc2]:2222 ${line(a.pub)}\n`);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(() => check.verify(key(b.pub).blob)).toThrow(/HAS CHANGED/);
  });

  it('parses a public key, and says what is wrong with one that is not', () => {
    expect(key(a.pub).type).toBe('ssh-ed25519');
    expect(parsePublicKey('ssh-ed25519')).toMatch(/expected an ssh public key/);
    expect(parsePublicKey('ssh-foo AAAA')).toMatch(/"ssh-foo" is not an ssh host key type/);
    expect(parsePublicKey(`ssh-rsa ${line(a.pub).split(' ')[1]}`)).toBe(
      "the key's data is an ssh-ed25519 key, not ssh-rsa",
    );
  });
});

describe('ssh keys with a passphrase', () => {
  it('tells an encrypted key from one without a passphrase (OpenSSH and PEM formats)', () => {
    expect(isEncryptedKey(readFileSync(a.file, 'utf8'))).toBe(false);
    expect(isEncryptedKey(readFileSync(keyPair('locked', 'ed25519', 'pw-1234').file, 'utf8'))).toBe(
      true,
    );
    const pem = keyPair('pem', 'ecdsa', 'pw-1234');
    execFileSync('ssh-keygen', [
      '-q',
      '-p',
      '-m',
      'PEM',
      '-P',
      'pw-1234',
      '-N',
      'pw-5678',
      '-f',
      pem.file,
    ]);
    expect(isEncryptedKey(readFileSync(pem.file, 'utf8'))).toBe(true);
  });
});

describe('the manifest: ssh and TLS keys of a node', () => {
  const load = (node: string) => {
    const d = workdir({
      'stackcheck.yml': `version: 1
name: keys
nodes:
  n2: ${node}
topologies:
  t: { node: n2, services: { s: { image: x } } }
`,
    });
    try {
      return loadSuite(join(d, 'stackcheck.yml'), { env: { N2_UNLOCK: 'open-sesame-42' } });
    } catch (e) {
      return (e as Error).message;
    }
  };

  it('resolves knownHosts, hostKey, strictHostKeyChecking and passphraseEnv', () => {
    const suite = load(
      `{ docker: "ssh://ci@pc2", identity: ${a.file}, passphraseEnv: N2_UNLOCK, knownHosts: kh, strictHostKeyChecking: accept-new }`,
    );
    if (typeof suite === 'string') throw new Error(suite);
    expect(suite.nodes.n2).toMatchObject({
      passphraseEnv: 'N2_UNLOCK',
      knownHosts: expect.stringMatching(/\/kh$/),
      strictHostKeyChecking: 'accept-new',
    });
    // The passphrase and the key's lines are masked; the key's path is not a secret.
    expect(suite.secrets).toContain('open-sesame-42');
    const body = readFileSync(a.file, 'utf8').split('\n')[1]!;
    expect(suite.secrets).toContain(body);
    expect(suite.secrets).not.toContain(a.file);
    const pinned = load(`{ docker: "ssh://pc2", hostKey: "${a.pub}" }`);
    if (typeof pinned === 'string') throw new Error(pinned);
    expect(pinned.nodes.n2!.hostKey).toEqual([a.pub]);
  });

  it('refuses what cannot be meant, at its line and column', () => {
    expect(load('{ docker: "ssh://pc2", hostKey: "ssh-ed25519 !!" }')).toMatch(
      /stackcheck\.yml:4:\d+: nodes\.n2\.hostKey: the ssh-ed25519 key is not base64/,
    );
    expect(load(`{ docker: "tcp://pc2:2376", knownHosts: kh }`)).toMatch(
      /stackcheck\.yml:4:\d+: nodes\.n2\.knownHosts: only an ssh:\/\/ engine takes it, and this node's is tcp:\/\/pc2:2376/,
    );
    expect(
      load(`{ docker: "ssh://pc2", hostKey: "${line(a.pub)}", strictHostKeyChecking: accept-new }`),
    ).toMatch(/hostKey pins the only keys trusted, so there is no new key to accept/);
    expect(load('{ docker: "tcp://pc2:2376", tls: { ca: ca.pem, cert: cert.pem } }')).toMatch(
      /tls\.cert and tls\.key go together/,
    );
  });
});
