import { readFileSync } from 'node:fs';
import { SECRET_NAME } from './secret-names.js';

/** Shorter values would mask ordinary words ("dev", "true") all over a report. */
const MIN_LENGTH = 4;
export const MASK = '***';

/**
 * The values to mask: variables the manifest lists under `secrets:`, every variable whose
 * name looks like a secret, and secret-looking entries of the services' environments.
 */
export function secretValues(
  declared: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  serviceEnvs: Readonly<Record<string, string>>[],
): string[] {
  const values = new Set<string>();
  const add = (v: string | undefined) => v && v.length >= MIN_LENGTH && values.add(v);
  for (const name of declared) add(env[name]);
  for (const [name, v] of Object.entries(env)) if (SECRET_NAME.test(name)) add(v);
  for (const e of serviceEnvs)
    for (const [name, v] of Object.entries(e)) if (SECRET_NAME.test(name)) add(v);
  return [...values];
}

/**
 * The lines of private key files (ssh identities, TLS client keys) that are readable here: a
 * key printed by a check (a service that cats its mounted key) is masked like any secret.
 * Its PEM armour lines are no secret.
 */
export function privateKeyLines(files: readonly (string | undefined)[]): string[] {
  const lines = new Set<string>();
  for (const f of files) {
    if (!f) continue;
    let text: string;
    try {
      text = readFileSync(f, 'utf8');
    } catch {
      // A node's key that cannot be read fails its connection, with the reason, not here.
      continue;
    }
    for (const l of text.split(/\r?\n/))
      if (l.trim().length >= MIN_KEY_LINE && !l.startsWith('-----')) lines.add(l.trim());
  }
  return [...lines];
}

/** Shorter lines of a key file are its headers' values ("4,ENCRYPTED"), not its secret. */
const MIN_KEY_LINE = 16;

export interface Redactor {
  text(s: string): string;
  /** A deep copy with every string masked. */
  deep<T>(value: T): T;
}

export function redactor(secrets: readonly string[]): Redactor {
  // Longest first, so a secret that contains another is masked whole.
  const ordered = [...secrets].sort((a, b) => b.length - a.length);
  const text = (s: string) => ordered.reduce((acc, v) => acc.split(v).join(MASK), s);
  const deep = <T>(value: T): T => {
    if (typeof value === 'string') return text(value) as T;
    if (Array.isArray(value)) return value.map(deep) as T;
    if (value && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, deep(v)])) as T;
    }
    return value;
  };
  return { text, deep };
}
