import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { InputError, readInputs } from '../../src/action/inputs.js';
import { post } from '../../src/action/post-step.js';
import { encodeState, STATE_KEY } from '../../src/action/state.js';
import { removeSshFiles, withSshFiles, writeSshFiles } from '../../src/action/ssh-files.js';

const keyDir = mkdtempSync(join(tmpdir(), 'stackcheck-action-key-'));
execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(keyDir, 'id')]);
const KEY = readFileSync(join(keyDir, 'id'), 'utf8');

describe('the action: ssh-key and ssh-known-hosts inputs', () => {
  it('writes them where only the runner user can read them, and post removes them', () => {
    const runnerTemp = mkdtempSync(join(tmpdir(), 'stackcheck-runner-temp-'));
    const files = writeSshFiles(
      { sshKey: KEY.trim(), sshKnownHosts: 'pc2 ssh-ed25519 AAAA' },
      runnerTemp,
    )!;
    expect(files.dir.startsWith(join(runnerTemp, 'stackcheck-ssh-'))).toBe(true);
    expect(statSync(files.dir).mode & 0o777).toBe(0o700);
    for (const f of [files.identity!, files.knownHosts!])
      expect(statSync(f).mode & 0o777).toBe(0o600);
    expect(readFileSync(files.identity!, 'utf8')).toBe(KEY);
    removeSshFiles(files.dir);
    expect(existsSync(files.dir)).toBe(false);
    expect(writeSshFiles({}, runnerTemp)).toBeUndefined();
  });

  it("fills in only what an ssh:// node's manifest entry leaves out", () => {
    const files = { dir: '/t', identity: '/t/id', knownHosts: '/t/known_hosts' };
    expect(withSshFiles({ name: 'a', labels: [], docker: 'ssh://pc2' }, files)).toMatchObject({
      identity: '/t/id',
      knownHosts: '/t/known_hosts',
    });
    const own = withSshFiles(
      { name: 'b', labels: [], docker: 'ssh://pc2', identity: '/k', hostKey: ['ssh-ed25519 A'] },
      files,
    );
    expect(own).toMatchObject({ identity: '/k' });
    expect(own.knownHosts).toBeUndefined();
    expect(withSshFiles({ name: 'c', labels: [], docker: 'tcp://pc2:2376' }, files)).toEqual({
      name: 'c',
      labels: [],
      docker: 'tcp://pc2:2376',
    });
  });

  it('refuses a value that is not a key without quoting it', () => {
    let err: unknown;
    try {
      readInputs((n) =>
        n === 'ssh-key' ? 'hunter2-not-a-key' : n === 'ssh-known-hosts' ? 'pc2' : '',
      );
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InputError);
    const problems = (err as InputError).problems;
    expect(problems).toEqual([
      'input "ssh-key" must be a private key, the whole file from its "-----BEGIN … PRIVATE KEY-----" line (pass it from a secret)',
      'input "ssh-known-hosts" must be known_hosts lines ("HOST TYPE KEY", as ssh-keyscan prints them), not "pc2"',
    ]);
    expect(problems.join('\n')).not.toContain('hunter2');
    expect(readInputs((n) => (n === 'ssh-key' ? KEY : '')).sshKey).toBe(KEY.trim());
  });

  it('the post step removes them after its cleanup, also when that cleanup could not reach a node', async () => {
    const files = writeSshFiles({ sshKey: KEY }, mkdtempSync(join(tmpdir(), 'stackcheck-post-')))!;
    const state = encodeState({
      nodes: [{ name: 'gone', labels: [], docker: 'unix:///nonexistent/docker.sock' }],
      runs: [],
      sshDir: files.dir,
    });
    vi.stubEnv(`STATE_${STATE_KEY}`, state);
    const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      await post();
    } finally {
      out.mockRestore();
      vi.unstubAllEnvs();
    }
    expect(existsSync(files.dir)).toBe(false);
  });
});
