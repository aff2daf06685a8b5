/** The answer to a send the server refused to take on (commit lane full, or the server behind reading its sockets): retryable, nothing stored. */
export interface OverloadRefusal {
  code: 'OVERLOADED';
  message: string;
  details: { retryAfterMs: number };
}

/** retryAfterMs is kept within these: soon enough to matter, far enough not to come back into the same queue at once. */
const MIN_RETRY_AFTER_MS = 100;
const MAX_RETRY_AFTER_MS = 10_000;

const MESSAGE = 'The server is busy and stored nothing; send again later with the same clientMsgId';

export function overloadRefusal(retryAfterMs: number): OverloadRefusal {
  return { code: 'OVERLOADED', message: MESSAGE, details: { retryAfterMs: Math.round(Math.min(MAX_RETRY_AFTER_MS, Math.max(MIN_RETRY_AFTER_MS, retryAfterMs))) } };
}
