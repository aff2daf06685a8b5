import {
  ConnectionClosedError,
  decodeServerMessage,
  encodeFrame,
  MAX_REQ_ID,
  MsgId,
  ProtocolError,
  RequestTimeoutError,
  ResponseIdFor,
  ValidationError,
  type ClientFrameId,
  type ClientMessageInput,
  type ClientMessageOf,
  type Frame,
  type RequestMsgId,
  type ServerMessage,
  type ServerMessageOf,
} from '@parley/protocol/codec';
import type { FrameTransport } from '../transport/frame-transport';

export type RequestBody<I extends RequestMsgId> = Omit<ClientMessageInput<I>, 'reqId'>;
export type ResponseOf<I extends RequestMsgId> = ServerMessageOf<(typeof ResponseIdFor)[I]>;

interface Pending {
  responseId: number;
  resolve: (msg: unknown) => void;
  reject: (err: Error) => void;
  timer: ReturnType<typeof setTimeout>;
}

export interface ChatConnectionHandlers {
  /** A server message that answers no request: pushes, Pong, and Errors without a pending reqId. */
  onPush(message: ServerMessage): void;
  onClose(error?: Error): void;
}

/**
 * Request/response by reqId over any FrameTransport, with typed pushes. One per connection; it never
 * reconnects (the Session does, with a new ChatConnection).
 */
export class ChatConnection {
  private readonly pending = new Map<number, Pending>();
  private lastReqId = 0;
  private open = true;
  /** When the last frame arrived: the session's liveness check. */
  lastFrameAtMs = Date.now();

  constructor(
    private readonly transport: FrameTransport,
    private readonly handlers: ChatConnectionHandlers,
    private readonly defaultTimeoutMs = 10_000,
  ) {
    transport.onFrame((frame) => this.dispatch(frame));
    transport.onClose((error) => this.onClose(error));
  }

  get isOpen(): boolean {
    return this.open;
  }

  send<I extends ClientFrameId>(id: I, body: ClientMessageOf<I>): void {
    if (!this.open) throw new ConnectionClosedError();
    this.transport.send(encodeFrame(id, body));
  }

  request<I extends RequestMsgId>(id: I, body: RequestBody<I>, timeoutMs = this.defaultTimeoutMs): Promise<ResponseOf<I>> {
    if (!this.open) return Promise.reject(new ConnectionClosedError());
    const reqId = this.nextReqId();
    let frame: Uint8Array;
    try {
      frame = encodeFrame(id, { ...body, reqId });
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    return new Promise<ResponseOf<I>>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(reqId);
        reject(new RequestTimeoutError(reqId, timeoutMs));
      }, timeoutMs);
      this.pending.set(reqId, { responseId: ResponseIdFor[id], resolve: resolve as (msg: unknown) => void, reject, timer });
      try {
        this.transport.send(frame);
      } catch (err) {
        clearTimeout(timer);
        this.pending.delete(reqId);
        reject(err instanceof Error ? err : new Error(String(err)));
      }
    });
  }

  close(): void {
    this.transport.close();
  }

  private nextReqId(): number {
    do {
      this.lastReqId = this.lastReqId >= MAX_REQ_ID ? 1 : this.lastReqId + 1;
    } while (this.pending.has(this.lastReqId));
    return this.lastReqId;
  }

  private dispatch(frame: Frame): void {
    this.lastFrameAtMs = Date.now();
    let decoded: ServerMessage;
    try {
      decoded = decodeServerMessage(frame);
    } catch (err) {
      // A newer server may send ids this client does not know: ignored, as docs/protocol.md asks.
      if (err instanceof ValidationError && err.reqId !== undefined) this.settle(err.reqId)?.reject(err);
      return;
    }
    const reqId = 'reqId' in decoded.msg ? decoded.msg.reqId : undefined;
    const waiting = reqId === undefined ? undefined : this.settle(reqId);
    if (waiting === undefined || reqId === undefined) {
      if (reqId === undefined || decoded.id === MsgId.Error) this.handlers.onPush(decoded);
      return;
    }
    if (decoded.id === MsgId.Error) {
      const { code, message, details } = decoded.msg;
      waiting.reject(new ProtocolError(code, message, { reqId, details }));
    } else if (decoded.id === waiting.responseId) {
      waiting.resolve(decoded.msg);
    } else {
      waiting.reject(new ProtocolError('INTERNAL', `Unexpected message id ${decoded.id} for request ${reqId}`, { reqId }));
    }
  }

  private settle(reqId: number): Pending | undefined {
    const waiting = this.pending.get(reqId);
    if (waiting === undefined) return undefined;
    clearTimeout(waiting.timer);
    this.pending.delete(reqId);
    return waiting;
  }

  private onClose(error?: Error): void {
    if (!this.open) return;
    this.open = false;
    const pending = [...this.pending.entries()];
    this.pending.clear();
    for (const [reqId, request] of pending) {
      clearTimeout(request.timer);
      request.reject(new ConnectionClosedError(`Connection closed before request ${reqId} was answered`, { reqId, cause: error }));
    }
    this.handlers.onClose(error);
  }
}
