import { isParleyError, type Logger } from '@parley/common';
import {
  encodeFrame,
  isProtocolError,
  MsgId,
  ResponseIdFor,
  type ClientMessage,
  type ClientMessageOf,
  type ErrorBody,
  type RequestMsgId,
  type ServerMessageOf,
} from '@parley/protocol';
import type { ClientConnection } from './client-connection';
import type { RequestContext } from './request-context';

/** The response to request id I, without the reqId the router adds. */
export type ResponseBody<I extends RequestMsgId> = Omit<ServerMessageOf<(typeof ResponseIdFor)[I]>, 'reqId'>;

/** Answers one request; throws ParleyError for a business refusal. */
export type RequestHandler<I extends RequestMsgId> = (ctx: RequestContext, req: ClientMessageOf<I>) => Promise<ResponseBody<I>>;

/** Request ids the router answers (LoginReq belongs to the login handler). */
export type RoutedRequestId = Exclude<RequestMsgId, typeof MsgId.LoginReq>;

export type RequestHandlers = { [I in RoutedRequestId]?: RequestHandler<I> };

/** What answers one request: its response id and body (reqId included), or MsgId.Error and an Error body. */
export interface RequestAnswer {
  id: number;
  body: object;
}

export interface RouterOptions {
  handlers: RequestHandlers;
  /** DeliveredAck (no answer). */
  onDeliveredAck: (ctx: RequestContext, conversationId: number, seq: number) => void;
  /** Rate limits: false when the message was refused or dropped (and answered if it had a reqId). */
  admit?: (conn: ClientConnection, message: ClientMessage) => boolean;
  /** Why request ids without a handler are refused (e.g. a feature not deployed). */
  missingReason?: (id: number) => string;
  logger: Logger;
}

export function isRoutedRequestId(id: number): id is RoutedRequestId {
  return Object.prototype.hasOwnProperty.call(ResponseIdFor, id) && id !== MsgId.LoginReq;
}

/**
 * Answers the decoded requests of logged-in users by message id. `handle` is the one place a
 * request meets its handler, for TCP sessions (`dispatch`) and for the gate's ChatApi calls
 * alike, so both share one authorization path. A handler returns its response body; the router
 * adds the reqId and the matching response id. A thrown ParleyError answers with its code;
 * anything else is logged and answered INTERNAL. Nothing a handler does can touch a decoder.
 */
export class RequestRouter {
  private readonly handlers = new Map<number, RequestHandler<RequestMsgId>>();

  constructor(private readonly options: RouterOptions) {
    for (const [id, handler] of Object.entries(options.handlers)) {
      if (handler) this.handlers.set(Number(id), handler as RequestHandler<RequestMsgId>);
    }
  }

  has(id: number): boolean {
    return this.handlers.has(id);
  }

  readonly dispatch = (conn: ClientConnection, message: ClientMessage): void => {
    if (this.options.admit && !this.options.admit(conn, message)) return;
    switch (message.id) {
      case MsgId.Ping:
        conn.send(MsgId.Pong, { serverTime: Date.now() });
        return;
      case MsgId.DeliveredAck:
        this.options.onDeliveredAck(conn, message.msg.conversationId, message.msg.seq);
        return;
      case MsgId.LoginReq:
        conn.sendError({ reqId: message.msg.reqId, code: 'ALREADY_LOGGED_IN', message: 'This connection is already logged in' });
        return;
      default:
        this.request(conn, message.id, message.msg);
    }
  };

  /** The answer to one request of ctx.uid: the response, or an Error body. Never rejects. */
  async handle(ctx: RequestContext, id: RoutedRequestId, msg: { reqId: number }): Promise<RequestAnswer> {
    const handler = this.handlers.get(id);
    if (!handler) {
      const why = this.options.missingReason?.(id) ?? 'This request is not supported by this server';
      return { id: MsgId.Error, body: { reqId: msg.reqId, code: 'UNAVAILABLE', message: why } satisfies ErrorBody };
    }
    try {
      const body = await handler(ctx, msg as never);
      return { id: ResponseIdFor[id], body: { ...body, reqId: msg.reqId } };
    } catch (err) {
      return { id: MsgId.Error, body: this.errorBody(err, msg.reqId, id, ctx.uid) };
    }
  }

  /** The INTERNAL answer for a response that could not be encoded (a handler bug). */
  internalError(reqId: number, id: number, uid: number, err: unknown): RequestAnswer {
    this.options.logger.error({ err, id, uid }, 'response could not be encoded');
    return { id: MsgId.Error, body: { reqId, code: 'INTERNAL', message: 'Internal server error' } satisfies ErrorBody };
  }

  private request(conn: ClientConnection, id: RoutedRequestId, msg: { reqId: number }): void {
    conn.requestStarted();
    void this.handle(conn, id, msg)
      .then((answer) => {
        let frame: Buffer;
        try {
          frame = encodeFrame(answer.id, answer.body);
        } catch (err) {
          const internal = this.internalError(msg.reqId, id, conn.uid, err);
          frame = encodeFrame(internal.id, internal.body);
        }
        conn.write(frame);
      })
      .finally(() => conn.requestFinished());
  }

  private errorBody(err: unknown, reqId: number, id: number, uid: number): ErrorBody {
    if (isParleyError(err) || isProtocolError(err)) {
      const body: ErrorBody = { reqId, code: err.code, message: err.message };
      if (err.details !== undefined) body.details = err.details;
      if (err.code === 'INTERNAL') this.options.logger.error({ err, id, uid }, 'request failed');
      return body;
    }
    this.options.logger.error({ err, id, uid }, 'request failed');
    return { reqId, code: 'INTERNAL', message: 'Internal server error' };
  }
}
