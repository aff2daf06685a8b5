import { ErrorCodes, isErrorCode, type ErrorCode } from '@parley/protocol';

export { ErrorCodes, isErrorCode, type ErrorCode } from '@parley/protocol';

/** The one error type servers throw for an expected refusal; mapped once to HTTP, gRPC and TLV. */
export class ParleyError extends Error {
  override name = 'ParleyError';
  readonly code: ErrorCode;
  readonly details: unknown;

  constructor(code: ErrorCode, message?: string, options: { details?: unknown; cause?: unknown } = {}) {
    super(message ?? ErrorCodes[code].message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options.details;
  }

  get httpStatus(): number {
    return ErrorCodes[this.code].httpStatus;
  }

  /** The public shape sent to clients: never a stack, never the cause. */
  toJSON(): { code: ErrorCode; message: string; details?: unknown } {
    return this.details === undefined ? { code: this.code, message: this.message } : { code: this.code, message: this.message, details: this.details };
  }
}

export function isParleyError(err: unknown): err is ParleyError {
  return err instanceof ParleyError;
}

/** Any thrown value as a ParleyError; unknown failures become INTERNAL with the original as cause. */
export function toParleyError(err: unknown): ParleyError {
  if (err instanceof ParleyError) return err;
  const code = (err as { code?: unknown } | null)?.code;
  if (isErrorCode(code) && err instanceof Error) return new ParleyError(code, err.message, { cause: err });
  return new ParleyError('INTERNAL', undefined, { cause: err });
}
