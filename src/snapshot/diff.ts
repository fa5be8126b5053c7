import { compileIgnore, ignored } from './ignore.js';
import { isSecret, type Scalar, type SecretValue, type Snapshot, type Value } from './model.js';

/** One way two snapshots differ: a key only one side has, or a field whose values differ. */
export interface Difference {
  key: string;
  /** The field of a structured value (`sha256`, `mode` …); absent for a plain value or a missing key. */
  field?: string;
  /** As shown: a secret appears as `(secret)`, a missing key as `(absent)`. */
  left: string;
  right: string;
}

const ABSENT = '(absent)';
const SECRET = '(secret)';

/**
 * Every difference between two snapshots, sorted by key, leaving out what the ignore rules
 * name. Secret values compare by digest and are shown as `(secret)`: that they differ, never
 * what they are.
 */
export function diffSnapshots(
  left: Pick<Snapshot, 'entries'>,
  right: Pick<Snapshot, 'entries'>,
  ignore: readonly string[] = [],
): Difference[] {
  const rules = compileIgnore(ignore);
  const keys = [...new Set([...Object.keys(left.entries), ...Object.keys(right.entries)])].sort();
  const out: Difference[] = [];
  for (const key of keys) {
    const skip = ignored(rules, key);
    if (skip === true) continue;
    const a = left.entries[key];
    const b = right.entries[key];
    if (a === undefined || b === undefined) {
      out.push({
        key,
        left: a === undefined ? ABSENT : show(a),
        right: b === undefined ? ABSENT : show(b),
      });
      continue;
    }
    if (!isRecord(a) || !isRecord(b)) {
      if (!same(a, b)) out.push({ key, left: show(a), right: show(b) });
      continue;
    }
    const fields = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    for (const field of fields) {
      if (skip.has(field)) continue;
      const x = a[field];
      const y = b[field];
      if (x === undefined || y === undefined || !same(x, y))
        out.push({
          key,
          field,
          left: x === undefined ? ABSENT : show(x),
          right: y === undefined ? ABSENT : show(y),
        });
    }
  }
  return out;
}

/** A key or field one side lacks: what an incomplete snapshot may show without a real change. */
export function oneSided(d: Difference): boolean {
  return d.left === ABSENT || d.right === ABSENT;
}

type Field = Scalar | SecretValue;

function isRecord(v: Value): v is Record<string, Field> {
  return !!v && typeof v === 'object' && !isSecret(v);
}

function same(a: Value, b: Value): boolean {
  if (isSecret(a) || isSecret(b)) return isSecret(a) && isSecret(b) && a.digest === b.digest;
  return JSON.stringify(a) === JSON.stringify(b);
}

function show(v: Value): string {
  if (isSecret(v)) return SECRET;
  if (isRecord(v))
    return Object.entries(v)
      .map(([k, x]) => `${k}=${show(x)}`)
      .join(' ');
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/** One line per difference, as reports and the CLI print it. */
export function formatDifference(d: Difference, names: [string, string]): string {
  const where = d.field ? `${d.key}#${d.field}` : d.key;
  if (d.left === d.right && d.left === SECRET) return `${where}: secret values differ`;
  return `${where}: ${names[0]} ${clip(d.left)} ≠ ${names[1]} ${clip(d.right)}`;
}

const SHOWN_CHARS = 200;

function clip(s: string): string {
  const one = s.replace(/\s+/g, ' ');
  return one.length > SHOWN_CHARS ? `${one.slice(0, SHOWN_CHARS)}…` : one;
}
