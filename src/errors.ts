/**
 * One error class for every kind of bad input or configuration. Each carries a
 * stable code, so the CLI maps codes to messages and exit status in one place.
 * Violations found in a target are never thrown: checks return them as data.
 */
export type ErrorCode =
  | 'SCENARIO_UNREADABLE'
  | 'SCENARIO_SYNTAX'
  | 'SCENARIO_INVALID'
  | 'TEMPLATE_UNKNOWN'
  | 'BASELINE_FAILED'
  | 'TARGET_SPAWN_FAILED'
  | 'BAD_ARGUMENT'
  | 'REPORT_UNREADABLE';

export interface ErrorWhere {
  /** The file the problem is in, as the user named it. */
  file?: string;
  /** A field path such as `operations[0].args[3]`. */
  field?: string;
}

export class RetryproofError extends Error {
  readonly code: ErrorCode;
  readonly where: ErrorWhere;
  readonly fix: string | undefined;

  constructor(code: ErrorCode, message: string, where: ErrorWhere = {}, fix?: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RetryproofError';
    this.code = code;
    this.where = where;
    this.fix = fix;
  }

  /** `file: field: message. Fix: ...` — the one line the CLI prints. */
  describe(): string {
    const place = [this.where.file, this.where.field].filter(Boolean).join(': ');
    const fix = this.fix ? `\n  fix: ${this.fix}` : '';
    return `${place ? `${place}: ` : ''}${this.message}${fix}`;
  }
}

export function isRetryproofError(error: unknown): error is RetryproofError {
  return error instanceof RetryproofError;
}

/** Names the scenario file in an error raised below the scenario (a target that cannot start, say). */
export function inFile(error: unknown, file: string): unknown {
  if (!isRetryproofError(error) || error.where.file) return error;
  return new RetryproofError(error.code, error.message, { ...error.where, file }, error.fix, { cause: error.cause });
}
