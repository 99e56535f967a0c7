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
