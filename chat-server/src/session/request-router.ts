import { isParleyError, type Logger } from '@parley/common';
import {
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

export type RequestHandlers = { [I in Exclude<RequestMsgId, typeof MsgId.LoginReq>]?: RequestHandler<I> };

export interface RouterOptions {
  handlers: RequestHandlers;
  /** DeliveredAck (no answer). */
  onDeliveredAck: (ctx: RequestContext, conversationId: number, seq: number) => void;
  /** Why request ids without a handler are refused (e.g. a feature not deployed). */
  missingReason?: (id: number) => string;
  logger: Logger;
}

/**
 * Dispatches the decoded messages of logged-in connections by message id. A request's handler
 * returns its response body; the router adds the reqId and sends the matching response id. A
 * thrown ParleyError answers that request with its code; anything else is logged and answered
 * INTERNAL. Nothing a handler does can touch the connection's decoder.
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

  private request(conn: ClientConnection, id: RequestMsgId, msg: { reqId: number }): void {
    const handler = this.handlers.get(id);
    if (!handler) {
      const why = this.options.missingReason?.(id) ?? 'This request is not supported by this server';
      conn.sendError({ reqId: msg.reqId, code: 'UNAVAILABLE', message: why });
      return;
    }
    conn.requestStarted();
    let pending: Promise<object>;
    try {
      pending = handler(conn, msg as never);
    } catch (err) {
      pending = Promise.reject(err);
    }
    pending
      .then(
        (body) => {
          conn.send(ResponseIdFor[id], { ...body, reqId: msg.reqId } as never);
        },
        (err: unknown) => {
          conn.sendError(this.errorBody(err, msg.reqId, id, conn));
        },
      )
      .catch((err: unknown) => {
        // Encoding the response failed (a handler bug); the client still gets an answer.
        this.options.logger.error({ err, id, uid: conn.uid }, 'response could not be sent');
        conn.sendError({ reqId: msg.reqId, code: 'INTERNAL', message: 'Internal server error' });
      })
      .finally(() => conn.requestFinished());
  }

  private errorBody(err: unknown, reqId: number, id: number, conn: ClientConnection): ErrorBody {
    if (isParleyError(err) || isProtocolError(err)) {
      const body: ErrorBody = { reqId, code: err.code, message: err.message };
      if (err.details !== undefined) body.details = err.details;
      if (err.code === 'INTERNAL') this.options.logger.error({ err, id, uid: conn.uid }, 'request failed');
      return body;
    }
    this.options.logger.error({ err, id, uid: conn.uid }, 'request failed');
    return { reqId, code: 'INTERNAL', message: 'Internal server error' };
  }
}
