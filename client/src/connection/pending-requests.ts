import { ConnectionClosedError, MAX_REQ_ID, MsgId, ProtocolError, RequestTimeoutError } from '@parley/protocol/codec';

interface Pending {
  responseId: number;
  resolve: (msg: unknown) => void;
  reject: (err: Error) => void;
  timer: ReturnType<typeof setTimeout>;
}

/**
 * The requests of one connection waiting for their answer by reqId (chat and file connections
 * alike): reqIds that wrap and skip ones in use, a timeout each, the answer or Error frame matched
 * to its request, and every waiter failed when the connection closes.
 */
export class PendingRequests {
  private readonly pending = new Map<number, Pending>();
  private lastReqId = 0;

  /** Starts a request answered by `responseId`: `send(reqId)` puts its frame on the wire (a throw rejects it). */
  start<T>(responseId: number, timeoutMs: number, send: (reqId: number) => void): Promise<T> {
    do {
      this.lastReqId = this.lastReqId >= MAX_REQ_ID ? 1 : this.lastReqId + 1;
    } while (this.pending.has(this.lastReqId));
    const reqId = this.lastReqId;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(reqId);
        reject(new RequestTimeoutError(reqId, timeoutMs));
      }, timeoutMs);
      this.pending.set(reqId, { responseId, resolve: resolve as (msg: unknown) => void, reject, timer });
      try {
        send(reqId);
      } catch (err) {
        this.take(reqId);
        reject(err instanceof Error ? err : new Error(String(err)));
      }
    });
  }

  /**
   * Settles request reqId with the message `id` that names it: its answer resolves it, an Error frame
   * or any other id rejects it. False when no request with that reqId waits.
   */
  answer(reqId: number, id: number, msg: unknown): boolean {
    const waiting = this.take(reqId);
    if (waiting === undefined) return false;
    if (id === MsgId.Error) {
      const { code, message, details } = msg as { code: ConstructorParameters<typeof ProtocolError>[0]; message: string; details?: unknown };
      waiting.reject(new ProtocolError(code, message, { reqId, details }));
    } else if (id === waiting.responseId) {
      waiting.resolve(msg);
    } else {
      waiting.reject(new ProtocolError('INTERNAL', `Unexpected message id ${id} for request ${reqId}`, { reqId }));
    }
    return true;
  }

  /** Rejects request reqId with `err` (an answer that failed to decode); false when none waits. */
  fail(reqId: number, err: Error): boolean {
    const waiting = this.take(reqId);
    waiting?.reject(err);
    return waiting !== undefined;
  }

  /** The connection closed: every waiting request is rejected. */
  closeAll(cause?: Error): void {
    const pending = [...this.pending.entries()];
    this.pending.clear();
    for (const [reqId, request] of pending) {
      clearTimeout(request.timer);
      request.reject(new ConnectionClosedError(`Connection closed before request ${reqId} was answered`, { reqId, cause }));
    }
  }

  private take(reqId: number): Pending | undefined {
    const waiting = this.pending.get(reqId);
    if (waiting === undefined) return undefined;
    clearTimeout(waiting.timer);
    this.pending.delete(reqId);
    return waiting;
  }
}
