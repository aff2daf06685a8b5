/**
 * The REST API's groups (docs/http-api.md), each a chat-protocol request made through ChatApi:
 * - GET  /api/groups            → GroupListReq
 * - POST /api/groups            → GroupCreateReq (201)
 * - GET  /api/groups/:groupId   → GroupInfoReq (?afterUid, ?limit)
 * Authorization is the chat server's (NOT_MEMBER for a group that is not yours or does not exist).
 */
import { Router } from 'express';
import { MsgId } from '@parley/protocol';
import { paramSchemas, parseParams, pickFields } from '../api-params';
import { authenticatedUid } from '../bearer-auth';
import type { GateDeps } from '../gate-deps';

export function groupsRouter(deps: GateDeps): Router {
  const { chatApi } = deps;
  const router = Router();

  router.get('/', async (_req, res) => {
    const list = await chatApi.call(authenticatedUid(res), MsgId.GroupListReq, {});
    res.status(200).json({ groups: list.groups });
  });

  router.post('/', async (req, res) => {
    const uid = authenticatedUid(res);
    const created = await chatApi.call(uid, MsgId.GroupCreateReq, pickFields(req.body, ['name', 'avatar', 'members']));
    res.status(201).json({ group: created.group });
  });

  router.get('/:groupId', async (req, res) => {
    const uid = authenticatedUid(res);
    const { groupId, afterUid, limit } = parseParams(paramSchemas.groupInfo, req.params, req.query);
    const info = await chatApi.call(uid, MsgId.GroupInfoReq, { groupId, afterUid, limit });
    res.status(200).json(info);
  });

  return router;
}
