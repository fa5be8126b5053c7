/**
 * What a snapshot holds: a flat map from keys to small values, so two snapshots compare key by
 * key and ignore rules are globs over keys. Keys are `/`-separated: `files/data/a.bin`,
 * `env/HOSTNAME`, `ports/8080/tcp`, `commands/db-sums`, `http/8080/health`; a snapshot of a
 * node puts the service first (`api/files/data/a.bin`).
 */

/** A secret's value never enters a snapshot: a short salted digest says whether two differ. */
export interface SecretValue {
  secret: true;
  digest: string;
}

export type Scalar = string | number | boolean | null;
export type Value = Scalar | SecretValue | { [field: string]: Scalar | SecretValue };

export interface Snapshot {
  /** The snapshot's name in the manifest (`snapshots:`), or the name a step took it under. */
  name: string;
  /** What it was taken of: `topology/service`, or `node NAME`. */
  subject: string;
  takenAt: string;
  /** The matrix combination of the run, when it has one. */
  matrix?: Record<string, string>;
  entries: Record<string, Value>;
  /** Why it is not the whole picture (a limit reached, a command that could not run). */
  incomplete: string[];
}

export function isSecret(v: unknown): v is SecretValue {
  return !!v && typeof v === 'object' && (v as SecretValue).secret === true;
}
