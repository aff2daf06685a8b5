/**
 * The REST API's conversations (docs/http-api.md), each a chat-protocol request made through ChatApi:
 * - GET  /api/conversations                       → SyncReq, plus `unread` = maxSeq − ackedSeq
 * - GET  /api/conversations/:id/messages          → HistoryReq (?beforeSeq, ?limit) or PullReq (?afterSeq, ?limit)
 * - POST /api/conversations/:id/messages          → SendReq; 201 after the commit, idempotent by clientMsgId
 * Authorization is the chat server's (NOT_MEMBER, NOT_FRIENDS, FORBIDDEN), the same as over TCP.
 */
import { Router } from 'express';
import { MsgId } from '@parley/protocol';
import { paramSchemas, parseParams, pickFields } from '../api-params';
import { authenticatedUid } from '../bearer-auth';
import type { GateDeps } from '../gate-deps';

export function conversationsRouter(deps: GateDeps): Router {
  const { chatApi } = deps;
  const router = Router();

  router.get('/', async (_req, res) => {
    const sync = await chatApi.call(authenticatedUid(res), MsgId.SyncReq, {});
    const conversations = sync.conversations.map((c) => ({ ...c, unread: Math.max(0, c.maxSeq - c.ackedSeq) }));
    res.status(200).json({ conversations });
  });

  router.get('/:conversationId/messages', async (req, res) => {
    const uid = authenticatedUid(res);
    const { conversationId, beforeSeq, afterSeq, limit } = parseParams(paramSchemas.messagePage, req.params, req.query);
    const page =
      afterSeq === undefined
        ? await chatApi.call(uid, MsgId.HistoryReq, { conversationId, beforeSeq, limit })
        : await chatApi.call(uid, MsgId.PullReq, { conversationId, afterSeq, limit });
    res.status(200).json({ conversationId: page.conversationId, messages: page.messages, hasMore: page.hasMore });
  });

  router.post('/:conversationId/messages', async (req, res) => {
    const uid = authenticatedUid(res);
    const { conversationId } = parseParams(paramSchemas.conversationId, req.params);
    // Only these fields travel: `to` cannot redirect a message away from the conversation in the path.
    const fields = pickFields(req.body, ['clientMsgId', 'type', 'body']);
    const ack = await chatApi.call(uid, MsgId.SendReq, { ...fields, conversationId });
    res.status(201).json({ clientMsgId: ack.clientMsgId, conversationId: ack.conversationId, seq: ack.seq, serverTime: ack.serverTime });
  });

  return router;
}
