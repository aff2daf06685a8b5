import {
  ConnectionClosedError,
  decodeServerMessage,
  encodeFrame,
  MsgId,
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
import { PendingRequests } from './pending-requests';

export type RequestBody<I extends RequestMsgId> = Omit<ClientMessageInput<I>, 'reqId'>;
export type ResponseOf<I extends RequestMsgId> = ServerMessageOf<(typeof ResponseIdFor)[I]>;

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
  private readonly requests = new PendingRequests();
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
    return this.requests.start<ResponseOf<I>>(ResponseIdFor[id], timeoutMs, (reqId) => this.transport.send(encodeFrame(id, { ...body, reqId })));
  }

  close(): void {
    this.transport.close();
  }

  private dispatch(frame: Frame): void {
    this.lastFrameAtMs = Date.now();
    let decoded: ServerMessage;
    try {
      decoded = decodeServerMessage(frame);
    } catch (err) {
      // A newer server may send ids this client does not know: ignored, as docs/protocol.md asks.
      if (err instanceof ValidationError && err.reqId !== undefined) this.requests.fail(err.reqId, err);
      return;
    }
    const reqId = 'reqId' in decoded.msg ? decoded.msg.reqId : undefined;
    if (reqId !== undefined && this.requests.answer(reqId, decoded.id, decoded.msg)) return;
    // An Error for no waiting request concerns the connection (or a request given up on): the session sees it.
    if (reqId === undefined || decoded.id === MsgId.Error) this.handlers.onPush(decoded);
  }

  private onClose(error?: Error): void {
    if (!this.open) return;
    this.open = false;
    this.requests.closeAll(error);
    this.handlers.onClose(error);
  }
}
