import { ERROR_CODES, type ErrorCode } from './error-codes.ts';

/**
 * An error the relay answers with on purpose: a stable code from the registry and
 * a message safe to show the caller. Anything else that is thrown becomes INTERNAL.
 */
export class RelayError extends Error {
  readonly code: ErrorCode;
  readonly statusCode: number;
  /** Extra response headers, e.g. Retry-After on 429/503. */
  readonly headers: Readonly<Record<string, string>>;

  constructor(code: ErrorCode, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.name = 'RelayError';
    this.code = code;
    this.statusCode = ERROR_CODES[code].status;
    this.headers = headers;
  }
}

export function isRelayError(error: unknown): error is RelayError {
  return error instanceof RelayError;
}
