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

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
