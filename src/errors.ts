/**
 * Errors the user can fix (bad spec, bad input file, bad command line).
 * The CLI prints `message` without a stack trace and exits with code 2.
 * Always name the file (and line:column or column name when known) in the message.
 */
export class UserError extends Error {
  /** Individual problems when several were found at once (all are reported). */
  readonly problems: string[];
  constructor(message: string, problems: string[] = []) {
    super(message);
    this.name = 'UserError';
    this.problems = problems;
  }
}

export function isUserError(e: unknown): e is UserError {
  return e instanceof Error && e.name === 'UserError';
}

/**
 * The lines to show for a UserError inside a list of problems: its own problems when they
 * add detail, else its message alone — never both when they say the same (a one-problem
 * error repeats its problem as its message; a strategy error joins its problems into it).
 */
export function problemLines(e: { message: string; problems?: string[] }): string[] {
  const ps = e.problems ?? [];
  if (ps.length <= 1 || ps.every((p) => e.message.includes(p))) return [e.message];
  return ps;
}
