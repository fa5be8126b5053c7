import { existsSync, readFileSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { errorMessage, UserError } from '../../common/errors.js';
import { parsePublicKey, type PublicKey } from '../../common/ssh-keys.js';
import { SshDialAgent } from '../ssh-agent.js';
import { defaultKnownHosts, HostKeyCheck } from '../known-hosts.js';

/** How to reach an engine: dockerode's constructor options from a node's URL, TLS and ssh settings. */

export interface DockerEngineOptions {
  node: string;
  /** unix://, tcp://, ssh://, npipe://; undefined: DOCKER_HOST or the default socket. */
  url?: string;
  /** Client certificate and key may be left out: an engine that asks for none is still verified. */
  tls?: { ca: string; cert?: string; key?: string };
  /** Private key file for ssh://; undefined: the agent and OpenSSH's default key files. */
  identity?: string;
  /** The environment variable that holds the identity's passphrase. */
  passphraseEnv?: string;
  /** A known_hosts file that replaces OpenSSH's own for this engine. */
  knownHosts?: string;
  /** Host keys (`TYPE BASE64`) that alone are trusted; they replace every known_hosts file. */
  hostKey?: string[];
  /** Accept (and record) a host key no known_hosts file lists; a changed key is still refused. */
  acceptNewHostKey?: boolean;
}

/** dockerode's constructor options for an engine URL, as `docker -H` reads it. */
export function dockerodeOptions(o: DockerEngineOptions): Docker.DockerOptions {
  const url = o.url ?? process.env.DOCKER_HOST;
  if (!url) return { socketPath: '/var/run/docker.sock' };
  const u = new URL(url);
  switch (u.protocol) {
    case 'unix:':
      return { socketPath: u.pathname };
    case 'npipe:':
      return { socketPath: `//./pipe${u.pathname.replace(/^\/+pipe/, '')}` };
    case 'ssh:': {
      const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
      const port = Number(u.port || 22);
      const connect = {
        host,
        port,
        // As ssh itself: the local user's name where the URL names none.
        username: decodeURIComponent(u.username) || userInfo().username,
        ...sshAuth(o),
      };
      const hostKeys = new HostKeyCheck({
        node: o.node,
        host,
        port,
        pinned: o.hostKey?.map((k) => pinnedKey(o.node, k)),
        files: o.knownHosts ? [o.knownHosts] : defaultKnownHosts(),
        acceptNew: o.acceptNewHostKey ?? false,
      });
      // Plain HTTP whose connections are dial-stdio channels on shared ssh connections
      // (docker-modem takes an `agent`; dockerode's types leave it out).
      return {
        protocol: 'http',
        host,
        port,
        agent: new SshDialAgent({ connect, hostKeys, keyError: (why) => keyError(o, why) }),
      } as Docker.DockerOptions;
    }
    case 'tcp:':
    case 'http:':
    case 'https:': {
      const tls = o.tls ?? tlsFromEnv();
      return {
        protocol: tls || u.protocol === 'https:' ? 'https' : 'http',
        host: u.hostname,
        port: Number(u.port || (tls ? 2376 : 2375)),
        ...(tls && {
          ca: tlsFile(o.node, 'ca', tls.ca),
          ...(tls.cert && { cert: tlsFile(o.node, 'cert', tls.cert) }),
          ...(tls.key && { key: tlsFile(o.node, 'key', tls.key) }),
        }),
      };
    }
    default:
      throw new UserError({
        message: `engine URL "${url}" has an unsupported scheme`,
        hint: 'Use unix://, tcp://, ssh:// or npipe://.',
      });
  }
}

function pinnedKey(node: string, text: string): PublicKey {
  const key = parsePublicKey(text);
  if (typeof key === 'string')
    throw new UserError({ message: `the hostKey of node "${node}" is not a public key: ${key}` });
  return key;
}

/** The key files OpenSSH tries when it is given none, in its order. */
const DEFAULT_IDENTITIES = ['id_ed25519', 'id_ecdsa', 'id_rsa'];

/**
 * ssh2 offers the key file before the agent's keys. A key the manifest names must be readable;
 * without one, the first of OpenSSH's default key files that exists is offered. A key with a
 * passphrase is opened with the one in the node's `passphraseEnv`, else left to the agent,
 * which holds it opened (`ssh-add`).
 */
function sshAuth(o: DockerEngineOptions): {
  agent?: string;
  privateKey?: Buffer;
  passphrase?: string;
} {
  const agent = process.env.SSH_AUTH_SOCK || undefined;
  const file =
    o.identity ?? DEFAULT_IDENTITIES.map((f) => join(homedir(), '.ssh', f)).find(existsSync);
  if (!file) return { agent };
  let privateKey: Buffer;
  try {
    privateKey = readFileSync(file);
  } catch (e) {
    throw new UserError({
      message: `the ssh key file of node "${o.node}" (${file}) cannot be read: ${errorMessage(e)}`,
      hint: "Point the node's `identity:` at a readable private key, or leave it out to use the ssh agent.",
    });
  }
  if (o.passphraseEnv) {
    const passphrase = process.env[o.passphraseEnv];
    if (!passphrase)
      throw new UserError({
        message: `the ssh key file of node "${o.node}" (${file}) is to be opened with the passphrase in $${o.passphraseEnv} (the node's passphraseEnv), and that variable is not set`,
        hint: `Set ${o.passphraseEnv} for stackcheck (in CI, from a secret), or leave passphraseEnv out to use the ssh agent.`,
      });
    return { agent, privateKey, passphrase };
  }
  if (!isEncryptedKey(privateKey.toString('latin1'))) return { agent, privateKey };
  if (agent) return { agent };
  throw new UserError({
    message: `the ssh key file of node "${o.node}" (${file}) has a passphrase, and nothing here can open it: no ssh agent (SSH_AUTH_SOCK is not set) and no passphraseEnv on the node`,
    hint: `Add the key to an agent (\`eval "$(ssh-agent)"; ssh-add ${file}\`) before stackcheck runs, or put the passphrase in an environment variable and name it in the node's \`passphraseEnv:\`.`,
  });
}

function keyError(o: DockerEngineOptions, why: string): UserError {
  const file = o.identity ?? 'its default key file';
  return new UserError({
    message: `the ssh key file of node "${o.node}" (${file}) cannot be opened${o.passphraseEnv ? ` with the passphrase in $${o.passphraseEnv}` : ''}: ${why}`,
    hint: o.passphraseEnv
      ? `Check that ${o.passphraseEnv} holds this key's passphrase (\`ssh-keygen -y -f ${file}\` asks for it).`
      : "Point the node's `identity:` at an OpenSSH private key (ssh-keygen writes one).",
  });
}

/**
 * Whether a private key file is encrypted: an OpenSSH key whose cipher is not "none", or a
 * PEM key marked ENCRYPTED. Read here, before ssh2 is loaded, so that such a key without its
 * passphrase goes to the agent instead of failing the connection.
 */
export function isEncryptedKey(text: string): boolean {
  if (/-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: 4,ENCRYPTED/.test(text)) return true;
  const m = /-----BEGIN OPENSSH PRIVATE KEY-----([\s\S]*?)-----END/.exec(text);
  if (!m) return false;
  const raw = Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64');
  const magic = 'openssh-key-v1\0';
  if (raw.toString('latin1', 0, magic.length) !== magic) return false;
  const n = raw.readUInt32BE(magic.length);
  return raw.toString('latin1', magic.length + 4, magic.length + 4 + n) !== 'none';
}

const TLS_FILES = { ca: 'CA certificate', cert: 'client certificate', key: 'client key' };

function tlsFile(node: string, which: keyof typeof TLS_FILES, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new UserError({
      message: `the TLS ${TLS_FILES[which]} file of node "${node}" (tls.${which}: ${path}) cannot be read: ${errorMessage(e)}`,
      hint: `Point the node's \`tls.${which}\` at the file (paths are relative to the manifest), or set DOCKER_CERT_PATH to a folder with ca.pem, cert.pem and key.pem.`,
    });
  }
}

function tlsFromEnv(): DockerEngineOptions['tls'] {
  const dir = process.env.DOCKER_CERT_PATH;
  if (!dir || process.env.DOCKER_TLS_VERIFY !== '1') return undefined;
  return { ca: `${dir}/ca.pem`, cert: `${dir}/cert.pem`, key: `${dir}/key.pem` };
}
