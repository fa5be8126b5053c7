/**
 * Remote engines reached securely, against the test bed's real sshd and its dockerd that runs
 * with --tlsverify (scripts/second-engine.sh): the ssh host key is checked as OpenSSH checks
 * it (known_hosts, hashed entries, a pinned key, accept-new), a key with a passphrase opens
 * through the environment or an agent, and TLS passes only with the right files. Every refusal
 * is a UserError (exit 2) in preflight, with nothing created on either engine. Each test sets
 * its own known_hosts (a file, or HOME): the user's ~/.ssh is never read or written.
 */
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { isUserError } from '../../src/common/errors.js';
import { connect } from '../../src/engine/connect.js';
import { DockerEngine } from '../../src/engine/docker.js';
import type { NodeSpec } from '../../src/model/suite.js';
import type { ProgressEvent } from '../../src/orchestrator/progress.js';
import { loadManifest, runSuites } from '../../src/run-manifest.js';
import { MASK } from '../../src/common/redact.js';
import { workdir } from '../support/cli.js';
import { engine as local, leftovers, NOTHING, uniqueSuite } from '../support/engine.js';
import { secondEngine } from '../support/second-engine.js';

const IMAGE = 'stackcheck-fixture/busybox:1';
const bed = secondEngine();
const ssh = bed.ok && bed.ssh.ok ? bed.ssh : undefined;
const tls = bed.ok && bed.tls.ok ? bed.tls : undefined;
const noSsh = bed.ok ? (bed.ssh.ok ? '' : bed.ssh.reason) : bed.reason;
const noTls = bed.ok ? (bed.tls.ok ? '' : bed.tls.reason) : bed.reason;

afterEach(() => {
  vi.unstubAllEnvs();
});

function scratch(): string {
  return mkdtempSync(join(tmpdir(), 'stackcheck-remote-'));
}

/** The bed's host key line (`ssh-ed25519 AAAA…`) and its fingerprint as `ssh-keygen -l` prints it. */
function hostKey(): { line: string; fingerprint: string } {
  const line = readFileSync(ssh!.hostKey, 'utf8').split(' ').slice(0, 2).join(' ');
  const fingerprint = execFileSync('ssh-keygen', ['-lf', ssh!.hostKey], { encoding: 'utf8' }).split(
    ' ',
  )[1]!;
  return { line, fingerprint };
}

/** A known_hosts file with these lines; `hashed`: as HashKnownHosts writes it (ssh-keygen -H). */
function knownHostsFile(lines: string[], hashed = false): string {
  const file = join(scratch(), 'known_hosts');
  writeFileSync(file, lines.map((l) => `${l}\n`).join(''));
  if (hashed) execFileSync('ssh-keygen', ['-q', '-H', '-f', file], { stdio: 'ignore' });
  return file;
}

/** An ed25519 public key line that is not the bed's. */
function strangerKey(): string {
  const key = join(scratch(), 'id');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
  return readFileSync(`${key}.pub`, 'utf8').split(' ').slice(0, 2).join(' ');
}

/**
 * A suite on two nodes, this machine's engine and the bed's: a refusal in preflight must leave
 * both untouched. The check reaches the bed's service from the runner.
 */
function twoNodeFiles(n2: Record<string, unknown>, extra = ''): Record<string, string> {
  return {
    'stackcheck.yml': `version: 1
name: {{SUITE}}
nodes:
  here: {}
  n2: ${JSON.stringify({ address: bed.ok ? bed.address : '', ...n2 })}
topologies:
  home:
    node: here
    services:
      idle: { image: ${IMAGE}, command: [sleep, "3600"], init: true }
  shop:
    node: n2
    publish: ephemeral
    services:
      web:
        image: ${IMAGE}
        command: [httpd, -f, -p, "8080", -h, /etc]
        init: true
        ports: ["8080"]
${extra}
checks:
  - name: web answers the runner
    http: { service: shop/web, port: 8080, path: /hostname }
    expect: { status: 200 }
`,
  };
}

/** Loads and runs the files; the outcome, the suite's name, the notes the run printed. */
async function attempt(files: Record<string, string>, env: Record<string, string> = {}) {
  const suite = uniqueSuite('sec');
  const dir = workdir(
    Object.fromEntries(
      Object.entries(files).map(([k, v]) => [k, v.replaceAll('{{SUITE}}', suite)]),
    ),
  );
  const notes: string[] = [];
  const progress = {
    emit: (e: ProgressEvent) => e.kind === 'note' && e.level === 'warn' && notes.push(e.text),
  };
  try {
    const { suites } = loadManifest(join(dir, 'stackcheck.yml'), {
      env: { ...process.env, ...env },
    });
    return { results: await runSuites(suites, { progress }), suite, dir, notes };
  } catch (error) {
    return { error, suite, dir, notes };
  }
}

/** The bed's engine behind `unix` (not through the transport under test). */
async function bedLeftovers(suite: string, unix: string) {
  const e = new DockerEngine({ node: 'n2', url: unix });
  try {
    return await leftovers({ suite }, e);
  } finally {
    await e.close();
  }
}

/** Refused in preflight (exit 2): the message, after checking that neither engine got anything. */
async function refused(r: Awaited<ReturnType<typeof attempt>>, unix: string): Promise<string> {
  expect(isUserError(r.error), String(r.error ?? 'the run went ahead')).toBe(true);
  expect(await leftovers({ suite: r.suite }, local)).toEqual(NOTHING);
  expect(await bedLeftovers(r.suite, unix)).toEqual(NOTHING);
  return (r.error as Error).message;
}

/** The bed's engine has the image: it has no registry. */
async function loadImage(unix: string) {
  const e = new DockerEngine({ node: 'n2', url: unix });
  try {
    if (!(await e.imageExists(IMAGE))) await e.loadImage(await local.saveImage(IMAGE));
  } finally {
    await e.close();
  }
}

function passed(r: Awaited<ReturnType<typeof attempt>>) {
  expect(r.error, String(r.error)).toBeUndefined();
  const results = r.results!;
  expect(
    results.topologies.map((t) => [t.name, t.status]),
    JSON.stringify(results.topologies.map((t) => t.failure)),
  ).toEqual([
    ['home', 'passed'],
    ['shop', 'passed'],
  ]);
  expect(results.checks.map((c) => [c.name, c.status, c.message])).toEqual([
    ['web answers the runner', 'passed', expect.anything()],
  ]);
  expect(results.teardown).toMatchObject({ kept: false, errors: [] });
  return results;
}

describe('ssh:// host keys, as OpenSSH checks them', () => {
  const sshNode = () => ({ docker: ssh!.url, identity: ssh!.identity });

  it('passes with the key in a hashed known_hosts file, and leaves nothing', async (ctx) => {
    if (!ssh) return ctx.skip(`ssh is not available here: ${noSsh}`);
    await loadImage((bed.ok && bed.unix) as string);
    const file = knownHostsFile([`${bed.ok && bed.address} ${hostKey().line}`], true);
    expect(readFileSync(file, 'utf8')).toMatch(/^\|1\|/);
    const r = await attempt(twoNodeFiles({ ...sshNode(), knownHosts: file }));
    passed(r);
    expect(r.notes.filter((n) => /ssh host key/.test(n))).toEqual([]);
    expect(await bedLeftovers(r.suite, (bed.ok && bed.unix) as string)).toEqual(NOTHING);
  });

  it('a different key in known_hosts: exit 2 naming host, type and fingerprint, nothing created', async (ctx) => {
    if (!ssh || !bed.ok) return ctx.skip(`ssh is not available here: ${noSsh}`);
    const file = knownHostsFile([`${bed.address} ${strangerKey()}`]);
    const message = await refused(
      await attempt(twoNodeFiles({ ...sshNode(), knownHosts: file })),
      bed.unix,
    );
    const { fingerprint } = hostKey();
    expect(message).toContain(
      `node "n2": the ssh host key of ${bed.address} (port 22) HAS CHANGED, so stackcheck did not log in: the server offered the ED25519 key ${fingerprint}, but ${file}:1 holds another key for it, the ED25519 key SHA256:`,
    );
    expect(message).toContain(`ssh-keyscan -p 22 ${bed.address} >> ${file}`);
    expect(message.split('\n')).toHaveLength(2);
  });

  it('no entry at all: exit 2 naming the fingerprint and what to run, nothing created', async (ctx) => {
    if (!ssh || !bed.ok) return ctx.skip(`ssh is not available here: ${noSsh}`);
    const file = knownHostsFile([`other.example ${strangerKey()}`]);
    const message = await refused(
      await attempt(twoNodeFiles({ ...sshNode(), knownHosts: file })),
      bed.unix,
    );
    expect(message).toContain(
      `node "n2": the ssh host key of ${bed.address} (port 22) is not known, so stackcheck did not log in: the server offered the ED25519 key ${hostKey().fingerprint}, and no entry for ${bed.address} is in ${file}.`,
    );
    expect(message).toContain(`\`ssh-keyscan -p 22 ${bed.address} >> ${file}\``);
  });

  it("reads ~/.ssh/known_hosts (HOME of the test's own) when the node names no file", async (ctx) => {
    if (!ssh || !bed.ok) return ctx.skip(`ssh is not available here: ${noSsh}`);
    const home = scratch();
    vi.stubEnv('HOME', home);
    const node: NodeSpec = { name: 'n2', labels: [], ...sshNode() };
    const unknown = await connect(node).catch((e: unknown) => e);
    expect((unknown as Error).message).toContain(
      `is not known, so stackcheck did not log in: the server offered the ED25519 key ${hostKey().fingerprint}, and no entry for ${bed.address} is in ${home}/.ssh/known_hosts or /etc/ssh/ssh_known_hosts.`,
    );
    execFileSync('mkdir', ['-p', join(home, '.ssh')]);
    writeFileSync(join(home, '.ssh/known_hosts'), `${bed.address} ${hostKey().line}\n`);
    execFileSync('ssh-keygen', ['-q', '-H', '-f', join(home, '.ssh/known_hosts')], {
      stdio: 'ignore',
    });
    const { engine, notes } = await connect(node);
    await engine.close();
    expect(notes).toEqual([]);
  });

  it('accept-new accepts an unknown key, says so and records it; a changed key it refuses', async (ctx) => {
    if (!ssh || !bed.ok) return ctx.skip(`ssh is not available here: ${noSsh}`);
    const file = join(scratch(), 'known_hosts');
    const r = await attempt(
      twoNodeFiles({ ...sshNode(), knownHosts: file, strictHostKeyChecking: 'accept-new' }),
    );
    passed(r);
    const { line, fingerprint } = hostKey();
    expect(r.notes.filter((n) => /ssh host key/.test(n))).toEqual([
      `node "n2": accepted the unknown ssh host key of ${bed.address} (port 22), the ED25519 key ${fingerprint}, as the node's strictHostKeyChecking: accept-new allows (added to ${file}, where later runs find it). Compare it with the machine's own fingerprint.`,
    ]);
    expect(readFileSync(file, 'utf8')).toBe(`${bed.address} ${line}\n`);
    // Recorded: the same node, without the opt-in, now trusts it.
    const { engine, notes } = await connect({
      name: 'n2',
      labels: [],
      ...sshNode(),
      knownHosts: file,
    });
    await engine.close();
    expect(notes).toEqual([]);

    const changed = knownHostsFile([`${bed.address} ${strangerKey()}`]);
    const message = await refused(
      await attempt(
        twoNodeFiles({ ...sshNode(), knownHosts: changed, strictHostKeyChecking: 'accept-new' }),
      ),
      bed.unix,
    );
    expect(message).toContain('HAS CHANGED');
    expect(message).toContain(fingerprint);
  });

  it('a pinned hostKey that is not the server’s is refused the same way', async (ctx) => {
    if (!ssh || !bed.ok) return ctx.skip(`ssh is not available here: ${noSsh}`);
    const message = await refused(
      await attempt(twoNodeFiles({ ...sshNode(), hostKey: strangerKey() })),
      bed.unix,
    );
    expect(message).toContain(
      `the server offered the ED25519 key ${hostKey().fingerprint}, but the node's hostKey pins the ED25519 key SHA256:`,
    );
  });
});

describe('ssh:// keys with a passphrase', () => {
  const lockedNode = (): NodeSpec => ({
    name: 'n2',
    labels: [],
    docker: ssh!.url,
    identity: ssh!.locked.identity,
    hostKey: [hostKey().line],
  });

  it('opens with the passphrase from the variable the node names, masked in every report', async (ctx) => {
    if (!ssh || !bed.ok) return ctx.skip(`ssh is not available here: ${noSsh}`);
    await loadImage(bed.unix);
    // A name the secret-name rule would not catch: masked because the node names it.
    vi.stubEnv('N2_UNLOCK', ssh.locked.passphrase);
    const keyLine = readFileSync(ssh.locked.identity, 'utf8').split('\n')[1]!;
    const files = twoNodeFiles(
      {
        docker: ssh.url,
        identity: ssh.locked.identity,
        passphraseEnv: 'N2_UNLOCK',
        hostKey: hostKey().line,
      },
      `        environment: { SAID: "\${N2_UNLOCK}", KEYLINE: "\${N2_KEYLINE}" }`,
    );
    files['stackcheck.yml'] += `  - name: prints what it was given (and fails)
    exec: { service: shop/web, command: "echo said=$$SAID key=$$KEYLINE; exit 3" }
`;
    const r = await attempt(files, { N2_KEYLINE: keyLine });
    expect(r.error, String(r.error)).toBeUndefined();
    const check = r.results!.checks.find((c) => c.name.startsWith('prints'))!;
    expect(check.status).toBe('failed');
    const json = JSON.stringify(r.results);
    expect(json).toContain(`said=${MASK} key=${MASK}`);
    expect(json).not.toContain(ssh.locked.passphrase);
    expect(json).not.toContain(keyLine);
    expect(r.results!.checks.find((c) => c.name === 'web answers the runner')!.status).toBe(
      'passed',
    );
  });

  it('a wrong passphrase, or none and no agent: exit 2 saying which', async (ctx) => {
    if (!ssh || !bed.ok) return ctx.skip(`ssh is not available here: ${noSsh}`);
    vi.stubEnv('N2_UNLOCK', 'not-the-passphrase');
    const wrong = await connect({ ...lockedNode(), passphraseEnv: 'N2_UNLOCK' }).catch(
      (e: unknown) => e,
    );
    expect(isUserError(wrong), String(wrong)).toBe(true);
    expect((wrong as Error).message).toContain(
      `the ssh key file of node "n2" (${ssh.locked.identity}) cannot be opened with the passphrase in $N2_UNLOCK: `,
    );
    expect((wrong as Error).message).not.toContain('not-the-passphrase');

    vi.stubEnv('SSH_AUTH_SOCK', '');
    const none = await connect(lockedNode()).catch((e: unknown) => e);
    expect(isUserError(none), String(none)).toBe(true);
    expect((none as Error).message).toContain(
      `the ssh key file of node "n2" (${ssh.locked.identity}) has a passphrase, and nothing here can open it: no ssh agent (SSH_AUTH_SOCK is not set) and no passphraseEnv on the node`,
    );

    vi.stubEnv('N2_UNSET', '');
    const unset = await connect({ ...lockedNode(), passphraseEnv: 'N2_UNSET' }).catch(
      (e: unknown) => e,
    );
    expect((unset as Error).message).toContain(
      "is to be opened with the passphrase in $N2_UNSET (the node's passphraseEnv), and that variable is not set",
    );
  });

  it('opens through an ssh agent that holds the key', async (ctx) => {
    if (!ssh || !bed.ok) return ctx.skip(`ssh is not available here: ${noSsh}`);
    const dir = scratch();
    const sock = join(dir, 'agent.sock');
    const agent = spawn('ssh-agent', ['-D', '-a', sock], { stdio: 'ignore' });
    try {
      for (let i = 0; i < 50 && !existsSync(sock); i++)
        await new Promise((r) => setTimeout(r, 100));
      const askpass = join(dir, 'askpass');
      writeFileSync(askpass, `#!/bin/sh\necho '${ssh.locked.passphrase}'\n`);
      chmodSync(askpass, 0o700);
      execFileSync('ssh-add', ['-q', ssh.locked.identity], {
        env: {
          ...process.env,
          SSH_AUTH_SOCK: sock,
          SSH_ASKPASS: askpass,
          SSH_ASKPASS_REQUIRE: 'force',
        },
        stdio: 'ignore',
      });
      vi.stubEnv('SSH_AUTH_SOCK', sock);
      const { engine } = await connect(lockedNode());
      expect((await engine.listContainers({})).length).toBeGreaterThanOrEqual(0);
      await engine.close();
    } finally {
      agent.kill();
    }
  });
});

describe('tcp:// with TLS, against a dockerd that runs with --tlsverify', () => {
  const files = (t: { ca: string; cert?: string; key?: string }) =>
    twoNodeFiles({ docker: tls!.url, tls: t });
  const right = () => ({
    ca: join(tls!.dir, 'ca.pem'),
    cert: join(tls!.dir, 'cert.pem'),
    key: join(tls!.dir, 'key.pem'),
  });

  /** A CA of the test's own, and a client certificate it signed: both unknown to the engine. */
  function strangerCa(): { ca: string; cert: string; key: string } {
    const d = scratch();
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
    const run = (args: string[]) => execFileSync('openssl', args, { stdio: 'ignore' });
    run([
      'req',
      '-x509',
      ...ec,
      '-keyout',
      `${d}/ca-key.pem`,
      '-out',
      `${d}/ca.pem`,
      '-days',
      '2',
      '-subj',
      '/CN=stranger CA',
    ]);
    run(['req', ...ec, '-keyout', `${d}/key.pem`, '-out', `${d}/c.csr`, '-subj', '/CN=stranger']);
    run([
      'x509',
      '-req',
      '-in',
      `${d}/c.csr`,
      '-CA',
      `${d}/ca.pem`,
      '-CAkey',
      `${d}/ca-key.pem`,
      '-CAcreateserial',
      '-out',
      `${d}/cert.pem`,
      '-days',
      '2',
    ]);
    return { ca: `${d}/ca.pem`, cert: `${d}/cert.pem`, key: `${d}/key.pem` };
  }

  it('passes with the right CA and client certificate, and leaves nothing', async (ctx) => {
    if (!tls) return ctx.skip(`the TLS engine is not available here: ${noTls}`);
    await loadImage(tls.unix);
    const r = await attempt(files(right()));
    passed(r);
    expect(r.notes.filter((n) => /plain tcp/.test(n))).toEqual([]);
    expect(await bedLeftovers(r.suite, tls.unix)).toEqual(NOTHING);
  });

  it('a wrong CA, no client certificate, an unknown one, a missing file: exit 2, each its own message', async (ctx) => {
    if (!tls) return ctx.skip(`the TLS engine is not available here: ${noTls}`);
    const at = `the Docker engine of node "n2" (${tls.url})`;
    const other = strangerCa();

    const wrongCa = await refused(await attempt(files({ ...right(), ca: other.ca })), tls.unix);
    expect(wrongCa).toContain(
      `${at} was not trusted: its TLS server certificate is not signed by the CA in tls.ca (${other.ca})`,
    );

    const noCert = await refused(await attempt(files({ ca: right().ca })), tls.unix);
    expect(noCert).toContain(
      `${at} refused this client: it runs with --tlsverify and asks for a client certificate, and the node's tls names none`,
    );

    const unknownCert = await refused(
      await attempt(files({ ca: right().ca, cert: other.cert, key: other.key })),
      tls.unix,
    );
    expect(unknownCert).toContain(
      `${at} refused this client: it runs with --tlsverify and does not accept the client certificate in tls.cert (${other.cert})`,
    );

    const missing = join(scratch(), 'cert.pem');
    const noFile = await refused(await attempt(files({ ...right(), cert: missing })), tls.unix);
    expect(noFile).toContain(
      `the TLS client certificate file of node "n2" (tls.cert: ${missing}) cannot be read: ENOENT`,
    );
    for (const m of [wrongCa, noCert, unknownCert, noFile]) expect(m.split('\n')).toHaveLength(2);
  });

  it('plain tcp:// off this machine warns once, naming the risk; loopback does not', async (ctx) => {
    if (!bed.ok) return ctx.skip(bed.reason);
    const plain = await connect({ name: 'n2', labels: [], docker: bed.tcp });
    await plain.engine.close();
    expect(plain.notes).toEqual([
      `node "n2": its engine ${bed.tcp} is plain tcp without TLS: anyone on the network between here and there can read this run's traffic (secrets included) and drive that engine, which is root on its machine. Use ssh:// or tcp:// with tls: (dockerd --tlsverify).`,
    ]);
    const home = await connect({ name: 'here', labels: [] });
    await home.engine.close();
    expect(home.notes).toEqual([]);
  });
});
