import { ProtocolError } from './protocol-errors';

/** How long the server asked to wait (OVERLOADED's `details.retryAfterMs`, RATE_LIMITED's `retryAfterSec`), or undefined. */
export function serverRetryAfterMs(err: unknown): number | undefined {
  if (!(err instanceof ProtocolError)) return undefined;
  const details = err.details as { retryAfterMs?: unknown; retryAfterSec?: unknown } | undefined;
  if (typeof details?.retryAfterMs === 'number') return details.retryAfterMs;
  if (typeof details?.retryAfterSec === 'number') return details.retryAfterSec * 1000;
  return undefined;
}
