import type { CheckResult, RunResults, TopologyResult } from '../model/results.js';

/** One cell of a `reach` check's matrix: could `from` (one replica) reach `to`, and how fast. */
export interface ReachCell {
  from: string;
  /** The replica's container, when the service has several. */
  container?: string;
  to: string;
  /** In a suite over several nodes: the node each end is on. */
  fromNode?: string;
  toNode?: string;
  /** Across nodes: the target container and the published address it was reached at. */
  via?: string;
  reachable: boolean;
  ms?: number;
  error?: string;
  /** Still connecting when the check's time ran out (`reachable` is false, but undecided). */
  pending?: true;
}

/** Whether the check expected the cells reachable (`expect: reachable`) or not (`isolated`). */
export function reachExpected(evidence: Record<string, unknown>): boolean {
  return evidence.expect !== 'isolated';
}

/** A check's `evidence.matrix`, when it has the reach shape. */
export function reachMatrix(evidence: Record<string, unknown>): ReachCell[] | undefined {
  const m = evidence.matrix;
  if (!Array.isArray(m) || !m.length) return undefined;
  const ok = m.every(
    (c) =>
      c &&
      typeof c === 'object' &&
      typeof (c as ReachCell).from === 'string' &&
      typeof (c as ReachCell).to === 'string' &&
      typeof (c as ReachCell).reachable === 'boolean',
  );
  return ok ? (m as ReachCell[]) : undefined;
}

const MAX_VALUE_CHARS = 4_000;

function clip(s: string, max = MAX_VALUE_CHARS): string {
  return s.length > max ? `${s.slice(0, max)}… (${s.length - max} more characters)` : s;
}

/**
 * Evidence as plain text, one `key: value` per line; multi-line values indented below their
 * key, a reach matrix one cell per line. The same text goes into JUnit and the summary.
 */
export function evidenceLines(evidence: Record<string, unknown>): string[] {
  const lines: string[] = [];
  for (const [key, value] of Object.entries(evidence)) {
    if (value === undefined) continue;
    const reach = key === 'matrix' ? reachMatrix(evidence) : undefined;
    if (reach) {
      lines.push('matrix:');
      for (const c of reach) lines.push(`  ${reachLine(c)}`);
    } else if (typeof value === 'string' && value.includes('\n')) {
      lines.push(`${key}:`);
      for (const l of clip(value).replace(/\n$/, '').split('\n')) lines.push(`  ${l}`);
    } else {
      const text = typeof value === 'string' ? value : JSON.stringify(value);
      lines.push(`${key}: ${clip(text ?? String(value))}`);
    }
  }
  return lines;
}

export function reachLine(c: ReachCell): string {
  const how = c.pending
    ? "pending (no answer when the check's time ran out)"
    : c.reachable
      ? `reachable${c.ms === undefined ? '' : ` in ${c.ms}ms`}`
      : `NOT reachable${c.error ? ` (${c.error})` : ''}${c.ms === undefined ? '' : ` after ${c.ms}ms`}`;
  const on = (node?: string) => (node ? ` on ${node}` : '');
  const via = c.via ? ` via ${c.via}` : '';
  return `${c.from}${c.container ? ` (${c.container})` : ''}${on(c.fromNode)} → ${c.to}${on(c.toNode)}${via}: ${how}`;
}

/**
 * The few lines that decide a failing check, for an annotation: its message, then the first
 * lines of its evidence, each kept short.
 */
export function decisiveEvidence(c: CheckResult, maxLines = 6, maxChars = 200): string[] {
  const reach = reachMatrix(c.evidence);
  const expected = reachExpected(c.evidence);
  const lines = reach
    ? reach.filter((x) => x.pending || x.reachable !== expected).map(reachLine)
    : evidenceLines(c.evidence).filter((l) => l.trim());
  const short = lines.slice(0, maxLines).map((l) => clip(l, maxChars));
  if (lines.length > maxLines) short.push(`… ${lines.length - maxLines} more lines in the report`);
  return short;
}

/** How combine.ts names one matrix combination: ` [K=v, K2=w]`. */
export function matrixLabel(matrix: Record<string, string> | undefined): string {
  return matrix && Object.keys(matrix).length
    ? ` [${Object.entries(matrix)
        .map(([k, v]) => `${k}=${v}`)
        .join(', ')}]`
    : '';
}

/** A topology's or check's name without its matrix suffix. */
export function baseName(name: string, matrix: Record<string, string> | undefined): string {
  const suffix = matrixLabel(matrix);
  return suffix && name.endsWith(suffix) ? name.slice(0, -suffix.length) : name;
}

function sameMatrix(a?: Record<string, string>, b?: Record<string, string>): boolean {
  return matrixLabel(a) === matrixLabel(b);
}

/** The topology result a check belongs to: that of its first target, in its matrix combination. */
export function topologyOf(r: RunResults, c: CheckResult): TopologyResult | undefined {
  const target = c.targets[0];
  if (!target) return undefined;
  const name = target.slice(0, target.indexOf('/'));
  return r.topologies.find(
    (t) => baseName(t.name, t.matrix) === name && sameMatrix(t.matrix, c.matrix),
  );
}

/** `file:line:col`. */
export function at(pos: { file: string; line: number; column: number }): string {
  return `${pos.file}:${pos.line}:${pos.column}`;
}
