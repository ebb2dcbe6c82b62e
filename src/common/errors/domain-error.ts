/** The error codes of the wire contract, each with its HTTP status. */
export const ERROR_STATUS = {
  validation_error: 400,
  unauthorized: 401,
  forbidden: 403,
  quota_exceeded: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  rate_limited: 429,
  internal_error: 500,
  unavailable: 503,
} as const;
export type ErrorCode = keyof typeof ERROR_STATUS;

export type FieldErrors = Record<string, string[]>;

/** An error the API reports as-is: its message and field errors are safe to show the caller. */
export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly errors: FieldErrors = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  get status(): number {
    return ERROR_STATUS[this.code];
  }

  static validation(errors: FieldErrors, message = 'validation error'): DomainError {
    return new DomainError('validation_error', message, errors);
  }

  static field(field: string, problem: string): DomainError {
    return DomainError.validation({ [field]: [problem] });
  }

  static notFound(what = 'resource'): DomainError {
    return new DomainError('not_found', `${what} not found`);
  }

  static unauthorized(message = 'authentication required: send "Authorization: Token <token>"'): DomainError {
    return new DomainError('unauthorized', message);
  }

  static conflict(field: string, problem: string): DomainError {
    return new DomainError('conflict', `${field} ${problem}`, { [field]: [problem] });
  }
}

/** The body of every 4xx/5xx answer. */
export interface ErrorBody {
  message: string;
  code: ErrorCode;
  errors: FieldErrors;
}
