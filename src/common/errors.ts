/** A place in a file the user wrote. Lines and columns are 1-based, as editors show them. */
export interface SourcePos {
  file: string;
  line: number;
  column: number;
}

export interface Problem {
  message: string;
  pos?: SourcePos;
  /** What the user can do about it, in one sentence. */
  hint?: string;
}

/**
 * Bad input from the user: a manifest, a compose file, a flag, an engine that cannot be
 * reached. The CLI prints it without a stack trace and exits 2.
 */
export class UserError extends Error {
  readonly problems: Problem[];
  constructor(problems: Problem | Problem[]) {
    const list = Array.isArray(problems) ? problems : [problems];
    super(list.map(formatProblem).join('\n'));
    this.name = 'UserError';
    this.problems = list;
  }
}

export function formatPos(pos: SourcePos): string {
  return `${pos.file}:${pos.line}:${pos.column}`;
}

export function formatProblem(p: Problem): string {
  const where = p.pos ? `${formatPos(p.pos)}: ` : '';
  return p.hint ? `${where}${p.message}\n  ${p.hint}` : `${where}${p.message}`;
}

export function isUserError(e: unknown): e is UserError {
  return e instanceof UserError;
}

/**
 * An error's message followed by its causes', each said once: fetch's "fetch failed" says why
 * only in `cause` ("fetch failed: connect ECONNREFUSED 127.0.0.1:50600").
 */
export function errorMessage(e: unknown): string {
  const parts: string[] = [];
  for (let x = e, depth = 0; x != null && depth < MAX_CAUSES; depth++) {
    const text = ownMessage(x);
    if (text && !parts.some((p) => p.includes(text))) parts.push(text);
    x = x instanceof Error ? x.cause : undefined;
  }
  return parts.join(': ');
}

const MAX_CAUSES = 5;

/** One error's own words: its message, else those of the errors it groups (a failed dual-stack connect), else its code. */
function ownMessage(x: unknown): string {
  if (!(x instanceof Error)) return String(x);
  if (x.message) return x.message;
  if (x instanceof AggregateError && x.errors.length)
    return x.errors.map((a) => ownMessage(a)).join('; ');
  return (x as { code?: string }).code ?? x.name;
}
