import { createHash } from 'node:crypto';

/**
 * ssh public keys as OpenSSH writes them (`TYPE BASE64 [comment]`) and names them: a leaf the
 * manifest's schema checks `hostKey:` with, and the engine's host key check builds on.
 */

/** A public key in the ssh wire format ("blob"), as known_hosts and the key exchange carry it. */
export interface PublicKey {
  type: string;
  blob: Buffer;
}

/** The key types OpenSSH writes in known_hosts, by the name it prints them under. */
const TYPE_NAMES: Record<string, string> = {
  'ssh-ed25519': 'ED25519',
  'ecdsa-sha2-nistp256': 'ECDSA',
  'ecdsa-sha2-nistp384': 'ECDSA',
  'ecdsa-sha2-nistp521': 'ECDSA',
  'ssh-rsa': 'RSA',
  'ssh-dss': 'DSA',
  'sk-ssh-ed25519@openssh.com': 'ED25519-SK',
  'sk-ecdsa-sha2-nistp256@openssh.com': 'ECDSA-SK',
};

/** The type named inside a key blob (its first string), or undefined when it is not one. */
function blobType(blob: Buffer): string | undefined {
  if (blob.length < 4) return undefined;
  const n = blob.readUInt32BE(0);
  if (n === 0 || n > 64 || 4 + n > blob.length) return undefined;
  return blob.subarray(4, 4 + n).toString('latin1');
}

/** A key as a server offers it (its blob). */
export function keyOfBlob(blob: Buffer): PublicKey {
  return { type: blobType(blob) ?? 'unknown', blob };
}

/** `TYPE BASE64 [comment]`, as in a .pub file or a known_hosts line after its host names. */
export function parsePublicKey(text: string): PublicKey | string {
  const [type, b64] = text.trim().split(/\s+/);
  if (!type || !b64) return 'expected an ssh public key: "TYPE BASE64", as in a .pub file';
  if (!(type in TYPE_NAMES))
    return `"${type}" is not an ssh host key type (${Object.keys(TYPE_NAMES).slice(0, 6).join(', ')})`;
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) return `the ${type} key is not base64`;
  const blob = Buffer.from(b64, 'base64');
  const inner = blobType(blob);
  if (inner !== type)
    return `the key's data is ${inner ? `an ${inner} key` : 'not an ssh key'}, not ${type}`;
  return { type, blob };
}

/** SHA256:… as OpenSSH prints it: base64 of the blob's SHA-256, without padding. */
export function fingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** "ED25519 key SHA256:…", as `ssh` names a key. */
export function describeKey(k: PublicKey): string {
  return `${TYPE_NAMES[k.type] ?? k.type} key ${fingerprint(k.blob)}`;
}

/** The name OpenSSH prints a key type under (ED25519, ECDSA, RSA), if it is one. */
export function keyTypeName(type: string): string | undefined {
  return TYPE_NAMES[type];
}
