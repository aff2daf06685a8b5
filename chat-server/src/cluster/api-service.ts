import type { Server } from '@grpc/grpc-js';
import {
  chatApiPackage,
  ParleyError,
  unaryHandler,
  type CallReply,
  type CallRequest__Output,
  type ChatApiHandlers,
  type Logger,
} from '@parley/common';
import { decodeClientMessage, describeMsgId, isProtocolError, MsgId, ProtocolError, type ClientMessage } from '@parley/protocol';
import type { RequestContext } from '../session/request-context';
import { isRoutedRequestId, type RequestAnswer, type RequestRouter, type RoutedRequestId } from '../session/request-router';

export interface ApiServiceOptions {
  router: RequestRouter;
  serverId: string;
  /** False while the server drains: calls get gRPC UNAVAILABLE, so the gate tries another server. */
  accepting: () => boolean;
  logger: Logger;
}

/**
 * The ChatApi service the gate calls for its REST API: one chat-protocol request for a user the
 * gate has authenticated. The body is decoded by the same schemas as a TCP frame and answered by
 * the same RequestRouter.handle, so REST and TCP share one authorization path. Request failures
 * (schema, refusals, missing handlers) come back as an Error body with msg_id 1, exactly the frame
 * a TCP client would get; gRPC statuses are left for the call itself (bad uid, shutting down).
 */
export function createApiHandlers(options: ApiServiceOptions): ChatApiHandlers {
  const { router, serverId, accepting, logger } = options;
  return {
    Call: unaryHandler<CallRequest__Output, CallReply>(logger, async (req) => {
      if (!accepting()) throw new ParleyError('UNAVAILABLE', 'This chat server is shutting down');
      if (!Number.isSafeInteger(req.uid) || req.uid <= 0) throw new ParleyError('BAD_REQUEST', 'uid must be a positive integer');
      // A REST call has no TCP session: the empty session id, as on a connection not logged in.
      const ctx: RequestContext = { uid: req.uid, sessionId: '', serverId };
      logger.debug({ uid: req.uid, msgId: req.msgId }, 'api call');
      const answer = await answerCall(router, ctx, req.msgId, req.body);
      let body: Buffer;
      try {
        body = Buffer.from(JSON.stringify(answer.body), 'utf8');
      } catch (err) {
        const internal = router.internalError((answer.body as { reqId?: number }).reqId ?? 0, req.msgId, req.uid, err);
        return { msgId: internal.id, body: Buffer.from(JSON.stringify(internal.body), 'utf8') };
      }
      return { msgId: answer.id, body };
    }),
  };
}

/** Decodes and answers one call; protocol errors become Error bodies, as a TCP session would send them. */
async function answerCall(router: RequestRouter, ctx: RequestContext, msgId: number, body: Buffer): Promise<RequestAnswer> {
  // Only the requests the router answers: LoginReq, Ping, DeliveredAck and server→client ids mean nothing here.
  if (!isRoutedRequestId(msgId)) {
    const refusal = new ProtocolError('UNKNOWN_MESSAGE', `${describeMsgId(msgId)} is not a request ChatApi accepts`, { details: { id: msgId } });
    return { id: MsgId.Error, body: refusal.toErrorBody() };
  }
  let message: ClientMessage;
  try {
    message = decodeClientMessage({ id: msgId, body });
  } catch (err) {
    if (isProtocolError(err)) return { id: MsgId.Error, body: err.toErrorBody() };
    throw err;
  }
  // The id was checked above; decoding keeps it.
  return router.handle(ctx, message.id as RoutedRequestId, message.msg as { reqId: number });
}

export function addApiService(server: Server, options: ApiServiceOptions): void {
  server.addService(chatApiPackage().ChatApi.service, createApiHandlers(options));
}
