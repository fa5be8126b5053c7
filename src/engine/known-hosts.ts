import { createHmac } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { errorMessage, UserError } from '../common/errors.js';
import {
  describeKey,
  keyOfBlob,
  keyTypeName,
  parsePublicKey,
  type PublicKey,
} from '../common/ssh-keys.js';

/**
 * ssh host keys as OpenSSH checks them (StrictHostKeyChecking): the key a server offers must be
 * one that a known_hosts file lists for its name, or one the manifest pins; an unknown key is
 * refused unless the node opts into accepting it, and a changed or revoked one always is.
 */

/** The host key algorithms that prove a key of each type (an RSA key signs with SHA-2 first). */
const ALGORITHMS: Record<string, string[]> = {
  'ssh-ed25519': ['ssh-ed25519'],
  'ecdsa-sha2-nistp256': ['ecdsa-sha2-nistp256'],
  'ecdsa-sha2-nistp384': ['ecdsa-sha2-nistp384'],
  'ecdsa-sha2-nistp521': ['ecdsa-sha2-nistp521'],
  'ssh-rsa': ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'],
  'ssh-dss': ['ssh-dss'],
};

/** The name known_hosts lists a server under: `host` on port 22, else `[host]:port`. */
export function knownHostName(host: string, port: number): string {
  const h = host.toLowerCase();
  return port === 22 ? h : `[${h}]:${port}`;
}

/** A known_hosts line that names the host. */
export interface KnownEntry {
  file: string;
  line: number;
  key: PublicKey;
  /** `@revoked`: this key must never be accepted. */
  revoked: boolean;
}

/**
 * The entries of a known_hosts text that name `name` (see knownHostName): plain and wildcard
 * patterns, `!` negations, and hashed names (`|1|salt|hash`, HashKnownHosts). `@cert-authority`
 * lines are left out: they vouch for host certificates, which are not checked here.
 */
export function entriesFor(text: string, file: string, name: string): KnownEntry[] {
  const out: KnownEntry[] = [];
  text.split('\n').forEach((raw, i) => {
    const fields = raw.trim().split(/\s+/);
    if (!fields[0] || fields[0].startsWith('#')) return;
    const marker = fields[0].startsWith('@') ? fields.shift() : undefined;
    if (marker === '@cert-authority') return;
    const [hosts, type, b64] = fields;
    if (!hosts || !type || !b64 || !namesHost(hosts, name)) return;
    const key = parsePublicKey(`${type} ${b64}`);
    if (typeof key === 'string') return;
    out.push({ file, line: i + 1, key, revoked: marker === '@revoked' });
  });
  return out;
}

function namesHost(patterns: string, name: string): boolean {
  if (patterns.startsWith('|1|')) {
    const [, , salt, hash] = patterns.split('|');
    if (!salt || !hash) return false;
    const mac = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64');
    return mac === hash;
  }
  let matched = false;
  for (const p of patterns.toLowerCase().split(',')) {
    const negated = p.startsWith('!');
    if (!globMatch(negated ? p.slice(1) : p, name)) continue;
    // A negated pattern that matches rules the host out whatever else matches.
    if (negated) return false;
    matched = true;
  }
  return matched;
}

function globMatch(pattern: string, name: string): boolean {
  const re = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${re}$`).test(name);
}

/** What a node trusts: keys pinned in the manifest, or known_hosts files. */
export interface HostKeyTrust {
  node: string;
  host: string;
  port: number;
  /** `hostKey:` in the manifest: the only keys accepted. */
  pinned?: PublicKey[];
  /** known_hosts files read, in order; the first is where accept-new adds a key. */
  files: string[];
  acceptNew: boolean;
}

/** OpenSSH's own files: the user's, then the machine's. */
export function defaultKnownHosts(): string[] {
  return [join(homedir(), '.ssh', 'known_hosts'), '/etc/ssh/ssh_known_hosts'];
}

/**
 * Judges the keys a node's server offers, once per ssh connection. A key accepted as new is
 * held for the rest of the run: every later connection must offer the same one.
 */
export class HostKeyCheck {
  private accepted?: PublicKey;
  /** What accepting a key said, for the run's log (once). */
  readonly notices: string[] = [];

  constructor(private readonly trust: HostKeyTrust) {}

  /** Host key algorithms to ask for, those of the known keys first (as ssh orders them). */
  preferredAlgorithms(): string[] {
    const types = new Set(this.known().map((e) => e.key.type));
    return [...types].flatMap((t) => ALGORITHMS[t] ?? []);
  }

  /** Throws a UserError (refusing the connection) unless the key may be trusted. */
  verify(blob: Buffer): void {
    const offered = keyOfBlob(blob);
    if (this.accepted?.blob.equals(blob)) return;
    const known = this.known();
    const revoked = known.find((e) => e.revoked && e.key.blob.equals(blob));
    if (revoked)
      throw this.refusal(offered, `which ${revoked.file}:${revoked.line} marks @revoked`);
    const good = known.filter((e) => !e.revoked);
    if (good.some((e) => e.key.blob.equals(blob))) return;
    // As OpenSSH: a key of a type none is recorded for is new, not changed (the server lacks
    // the recorded types, since those are asked for first).
    const sameType = good.find((e) => e.key.type === offered.type);
    if (sameType || this.accepted) throw this.changed(offered, sameType);
    if (!this.trust.acceptNew) throw this.unknown(offered, good);
    this.accepted = offered;
    this.notices.push(this.acceptNew(offered));
  }

  private entries?: KnownEntry[];

  private known(): KnownEntry[] {
    if (this.entries) return this.entries;
    const { pinned, files, host, port } = this.trust;
    if (pinned)
      return (this.entries = pinned.map((key, i) => ({
        file: `the node's hostKey`,
        line: i + 1,
        key,
        revoked: false,
      })));
    const name = knownHostName(host, port);
    this.entries = files.flatMap((file) => {
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
        throw new UserError({
          message: `the known_hosts file of node "${this.trust.node}" (${file}) cannot be read: ${errorMessage(e)}`,
          hint: "Make it readable by this user, or point the node's `knownHosts:` at another file.",
        });
      }
      return entriesFor(text, file, name);
    });
    return this.entries;
  }

  private where(): string {
    return `${this.trust.host} (port ${this.trust.port})`;
  }

  private scan(file: string): string {
    const { host, port } = this.trust;
    return `ssh-keyscan -p ${port} ${host} >> ${file}`;
  }

  private userFile(): string {
    return this.trust.files[0] ?? defaultKnownHosts()[0]!;
  }

  private unknown(k: PublicKey, others: KnownEntry[]): UserError {
    const looked = others.length
      ? `only keys of other types are recorded for it (${[...new Set(others.map((e) => describeKey(e.key).split(' ')[0]))].join(', ')}, in ${others[0]!.file})`
      : `no entry for ${knownHostName(this.trust.host, this.trust.port)} is in ${this.trust.files.join(' or ')}`;
    return new UserError({
      message: `node "${this.trust.node}": the ssh host key of ${this.where()} is not known, so stackcheck did not log in: the server offered the ${describeKey(k)}, and ${looked}.`,
      hint: `Compare that fingerprint with the machine's own (\`ssh-keygen -lf /etc/ssh/ssh_host_${keyFileName(k.type)}_key.pub\` there), then trust it: \`${this.scan(this.userFile())}\`, or pin it in the manifest (the node's \`hostKey: "${k.type} AAAA…"\`); \`strictHostKeyChecking: accept-new\` on the node accepts a key not yet known.`,
    });
  }

  private changed(k: PublicKey, was: KnownEntry | undefined): UserError {
    const before = !was
      ? 'this run already accepted another key for it'
      : this.trust.pinned
        ? `the node's hostKey pins the ${describeKey(was.key)}`
        : `${was.file}:${was.line} holds another key for it, the ${describeKey(was.key)}`;
    const name = knownHostName(this.trust.host, this.trust.port);
    const fix = this.trust.pinned
      ? "update the node's `hostKey:`"
      : `remove the old entry (\`ssh-keygen -R '${name}' -f ${was?.file ?? this.userFile()}\`) and add the new one (\`${this.scan(was?.file ?? this.userFile())}\`)`;
    return new UserError({
      message: `node "${this.trust.node}": the ssh host key of ${this.where()} HAS CHANGED, so stackcheck did not log in: the server offered the ${describeKey(k)}, but ${before}. Someone may be intercepting the connection, or the machine was reinstalled; a changed key is never accepted.`,
      hint: `Ask the machine's owner whether its host key changed; only if it did, ${fix}.`,
    });
  }

  private refusal(k: PublicKey, why: string): UserError {
    return new UserError({
      message: `node "${this.trust.node}": the ssh host key of ${this.where()} is revoked, so stackcheck did not log in: the server offered the ${describeKey(k)}, ${why}.`,
      hint: 'A revoked key is never accepted: the machine needs a new host key.',
    });
  }

  private acceptNew(k: PublicKey): string {
    const file = this.trust.files[0];
    const line = `${knownHostName(this.trust.host, this.trust.port)} ${k.type} ${k.blob.toString('base64')}\n`;
    let saved: string;
    if (!file) saved = 'kept for this run only';
    else {
      try {
        mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
        // A last line without its newline would otherwise run into the new one.
        const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
        appendFileSync(file, (text && !text.endsWith('\n') ? '\n' : '') + line, { mode: 0o600 });
        saved = `added to ${file}, where later runs find it`;
      } catch (e) {
        saved = `kept for this run only: ${file} cannot be written (${errorMessage(e)})`;
      }
    }
    return `node "${this.trust.node}": accepted the unknown ssh host key of ${this.where()}, the ${describeKey(k)}, as the node's strictHostKeyChecking: accept-new allows (${saved}). Compare it with the machine's own fingerprint.`;
  }
}

/** The name of the host key file sshd keeps a key of this type in. */
function keyFileName(type: string): string {
  return (keyTypeName(type) ?? 'ed25519').toLowerCase().replace(/-sk$/, '');
}
