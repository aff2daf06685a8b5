import { isErrorCode, type ErrorCode } from '@parley/protocol/codec';

/** Codes that are not the gate's own answers but the client's view of a failed call. */
export type GateClientCode = ErrorCode | 'NETWORK';

/**
 * A failed gate call with the gate's stable code (docs/http-api.md), or NETWORK when the gate could
 * not be reached. `retryAfterSec` comes from the limit refusals.
 */
export class GateError extends Error {
  override readonly name = 'GateError';

  constructor(
    readonly code: GateClientCode,
    message: string,
    readonly status: number,
    readonly details?: unknown,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  get retryAfterSec(): number | undefined {
    const d = this.details as { retryAfterSec?: unknown } | undefined;
    return typeof d?.retryAfterSec === 'number' ? d.retryAfterSec : undefined;
  }

  /** The credentials are no good any more: retrying cannot help, the user must log in. */
  get refusesCredentials(): boolean {
    return this.code === 'TOKEN_INVALID' || this.code === 'UNAUTHENTICATED' || this.code === 'INVALID_CREDENTIALS';
  }
}

/** Reads a gate error answer `{ error: { code, message, details? } }`; anything else is INTERNAL. */
export function gateErrorFrom(status: number, body: unknown): GateError {
  const error = (body as { error?: { code?: unknown; message?: unknown; details?: unknown } } | undefined)?.error;
  const code = isErrorCode(error?.code) ? error.code : 'INTERNAL';
  const message = typeof error?.message === 'string' ? error.message : `The gate answered ${status}`;
  return new GateError(code, message, status, error?.details);
}
