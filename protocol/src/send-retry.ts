import { randomUUID } from 'node:crypto';
import type { ChatClient, SendMessageOptions, SendTarget } from './chat-client';
import type { SendAck } from './message-schemas';
import { ConnectionClosedError, ProtocolError, RequestTimeoutError } from './protocol-errors';
import { serverRetryAfterMs } from './retry-after';

export interface RetrySendOptions extends SendMessageOptions {
  /** Attempts in all, the first included (default 3). */
  attempts?: number;
  /** Wait before each retry (default 200 ms). */
  retryDelayMs?: number;
}

/** The longest wait a server's retry-after makes this helper take (a caller wanting longer retries itself). */
const MAX_SERVER_WAIT_MS = 10_000;

/** Errors after which the send may or may not have been stored: the same clientMsgId makes a retry safe. */
export function isRetryableSendError(err: unknown): boolean {
  if (err instanceof ConnectionClosedError || err instanceof RequestTimeoutError) return true;
  return err instanceof ProtocolError && (err.code === 'UNAVAILABLE' || err.code === 'RATE_LIMITED' || err.code === 'OVERLOADED');
}


/**
 * Sends one message, retrying over a fresh connection from `connect` when the link dropped or the
 * server was busy. Every attempt carries the same clientMsgId (the caller's, or one made here
 * once), so the server stores the message at most once and answers a retry with the first ack.
 */
export async function sendMessageWithRetry(
  connect: (attempt: number) => Promise<ChatClient>,
  target: SendTarget,
  body: string,
  options: RetrySendOptions = {},
): Promise<SendAck> {
  const attempts = Math.max(1, options.attempts ?? 3);
  const delayMs = options.retryDelayMs ?? 200;
  const sendOptions: SendMessageOptions = { ...options, clientMsgId: options.clientMsgId ?? randomUUID() };
  for (let attempt = 1; ; attempt++) {
    try {
      const client = await connect(attempt);
      return await client.sendMessage(target, body, sendOptions);
    } catch (err) {
      if (attempt >= attempts || !isRetryableSendError(err)) throw err;
      // A busy server says when to come back; waiting less would only be refused again.
      const wait = Math.max(delayMs, Math.min(serverRetryAfterMs(err) ?? 0, MAX_SERVER_WAIT_MS));
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }
}
