import type { ApiError } from './client-api';

/** Codes the core itself raises (besides the protocol's and the gate's): stable, documented in docs/client.md. */
export type ClientErrorCode = 'OFFLINE' | 'SIGNED_OUT' | 'SOURCE_CHANGED' | 'NO_FILE_SERVER' | 'INVALID_ID' | 'NO_WEBSOCKET' | 'INTERNAL';

export class ClientError extends Error {
  override readonly name = 'ClientError';

  constructor(
    readonly code: ClientErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/**
 * What every ParleyApi promise rejects with: plain data (`{ code, message, details? }`, no stack, no
 * class), the same in the page as across the desktop bridge. Errors without a code become INTERNAL.
 */
export function toApiError(err: unknown): ApiError {
  if (typeof err === 'object' && err !== null) {
    const { code, message, details } = err as { code?: unknown; message?: unknown; details?: unknown };
    const plain: ApiError = { code: typeof code === 'string' && code !== '' ? code : 'INTERNAL', message: typeof message === 'string' ? message : 'Internal error' };
    if (details !== undefined && typeof details === 'object' && details !== null) plain.details = JSON.parse(JSON.stringify(details)) as Record<string, unknown>;
    return plain;
  }
  return { code: 'INTERNAL', message: String(err) };
}

/** `promise`, rejecting with plain ApiError data. */
export function plainErrors<T>(promise: Promise<T>): Promise<T> {
  return promise.catch((err: unknown) => {
    throw toApiError(err);
  });
}
