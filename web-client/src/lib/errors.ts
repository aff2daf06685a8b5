/** Turns whatever a call rejected with into a toast's code and sentence — never a stack trace. */
export interface UiError {
  code: string;
  message: string;
}

const FALLBACK = 'Something went wrong. Please try again.';

export function toUiError(err: unknown): UiError {
  if (typeof err === 'object' && err !== null) {
    const { code, message } = err as { code?: unknown; message?: unknown };
    const text = typeof message === 'string' && message.length > 0 && message.length < 300 && !message.includes('\n    at ') ? message : FALLBACK;
    return { code: typeof code === 'string' && code.length > 0 ? code : 'ERROR', message: text };
  }
  return { code: 'ERROR', message: FALLBACK };
}

/** retryAfterSec from an error's details (CODE_COOLDOWN, RATE_LIMITED), if any. */
export function retryAfterSec(err: unknown): number | undefined {
  const details = (err as { details?: { retryAfterSec?: unknown } } | null)?.details;
  return typeof details?.retryAfterSec === 'number' ? details.retryAfterSec : undefined;
}
