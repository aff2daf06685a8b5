import type { Logger, MysqlPool } from '@parley/common';
import {
  MsgId,
  type BlockListReq,
  type BlockListResp,
  type BlockReq,
  type BlockResp,
  type UnblockReq,
  type UnblockResp,
  type FriendDeleteReq,
  type FriendDeleteResp,
  type FriendInfo,
  type FriendListReq,
  type FriendListResp,
  type FriendNotify,
  type FriendReplyReq,
  type FriendReplyResp,
  type FriendRequestListReq,
  type FriendRequestListResp,
  type FriendRequestReq,
  type FriendRequestResp,
  type PublicUser,
  type SearchUserReq,
  type SearchUserResp,
} from '@parley/protocol';
import type { RequestContext } from '../session/request-context';
import type { UserNotifier } from '../cluster/user-notifier';
import { BlockService } from './block-service';
import { FriendService } from './friend-service';

export interface FriendHandlerDeps {
  pool: MysqlPool;
  notifier: UserNotifier;
  logger: Logger;
  /** After a decline, seconds before the same pair may ask again (config chat.friend_request_cooldown_sec); 0 by default. */
  requestCooldownSec?: number;
}

/** A response body as the router sends it, before it adds the request's reqId. */
type Answer<T> = Omit<T, 'reqId'>;

export interface FriendHandlers {
  searchUsers(ctx: RequestContext, req: SearchUserReq): Promise<Answer<SearchUserResp>>;
  sendRequest(ctx: RequestContext, req: FriendRequestReq): Promise<Answer<FriendRequestResp>>;
  listRequests(ctx: RequestContext, req: FriendRequestListReq): Promise<Answer<FriendRequestListResp>>;
  reply(ctx: RequestContext, req: FriendReplyReq): Promise<Answer<FriendReplyResp>>;
  listFriends(ctx: RequestContext, req: FriendListReq): Promise<Answer<FriendListResp>>;
  deleteFriend(ctx: RequestContext, req: FriendDeleteReq): Promise<Answer<FriendDeleteResp>>;
  block(ctx: RequestContext, req: BlockReq): Promise<Answer<BlockResp>>;
  unblock(ctx: RequestContext, req: UnblockReq): Promise<Answer<UnblockResp>>;
  listBlocked(ctx: RequestContext, req: BlockListReq): Promise<Answer<BlockListResp>>;
}

/**
 * The friend requests of the chat protocol (SearchUserReq … FriendDeleteReq), for the router to
 * call by message id. Refusals are thrown as ParleyError; the other party hears of requests,
 * answers and unfriending through a FriendNotify push, whose failure is logged, never thrown.
 */
export function createFriendHandlers({ pool, notifier, logger, requestCooldownSec = 0 }: FriendHandlerDeps): FriendHandlers {
  const service = new FriendService(pool, logger, requestCooldownSec);
  const blocks = new BlockService(pool, logger);

  async function onlineOf(uids: readonly number[]): Promise<Map<number, boolean>> {
    try {
      return await notifier.onlineState(uids);
    } catch (err) {
      // Presence is decoration: a Redis hiccup must not fail a friend operation.
      logger.warn({ err, event: 'friend_presence_failed', count: uids.length }, 'online state lookup failed');
      return new Map();
    }
  }

  function friendInfo(user: PublicUser, conversationId: number, online: Map<number, boolean>): FriendInfo {
    return { ...user, online: online.get(user.uid) ?? false, conversationId };
  }

  async function notify(uid: number, body: FriendNotify): Promise<void> {
    try {
      await notifier.push(uid, MsgId.FriendNotify, body);
    } catch (err) {
      logger.warn({ err, event: 'friend_notify_failed', uid, kind: body.kind }, 'friend notification failed');
    }
  }

  return {
    async searchUsers(_ctx, req) {
      return { users: await service.searchUsers(req.query, req.offset, req.limit) };
    },

    async sendRequest(ctx, req) {
      const result = await service.sendRequest(ctx.uid, req.toUid, req.note ?? '');
      if (result.kind === 'sent') {
        await notify(req.toUid, { kind: 'request', request: result.request });
        return { requestId: result.request.requestId };
      }
      // Mutual: their pending request is accepted by ours. Both sides are told 'accepted' with
      // the friend as they see it — the requester too, since FriendRequestResp has no room for it.
      const online = await onlineOf([result.me.uid, result.them.uid]);
      await Promise.all([
        notify(result.them.uid, { kind: 'accepted', request: result.theirs, friend: friendInfo(result.me, result.conversationId, online) }),
        notify(result.me.uid, { kind: 'accepted', request: result.own, friend: friendInfo(result.them, result.conversationId, online) }),
      ]);
      return { requestId: result.own.requestId };
    },

    async listRequests(ctx) {
      return service.listRequests(ctx.uid);
    },

    async reply(ctx, req) {
      const result = await service.reply(ctx.uid, req.requestId, req.accept);
      if (result.kind === 'declined') {
        if (!result.alreadyDeclined) await notify(result.request.from.uid, { kind: 'declined', request: result.request });
        return {};
      }
      const { request, conversationId, from, to } = result.befriended;
      const online = await onlineOf([from.uid, to.uid]);
      if (!result.alreadyFriends) {
        await notify(from.uid, { kind: 'accepted', request, friend: friendInfo(to, conversationId, online) });
      }
      return { friend: friendInfo(from, conversationId, online) };
    },

    async listFriends(ctx) {
      const friends = await service.listFriends(ctx.uid);
      const online = friends.length === 0 ? new Map<number, boolean>() : await onlineOf(friends.map((f) => f.user.uid));
      return { friends: friends.map((f) => friendInfo(f.user, f.conversationId, online)) };
    },

    async deleteFriend(ctx, req) {
      await service.deleteFriend(ctx.uid, req.uid);
      await notify(req.uid, { kind: 'deleted', uid: ctx.uid });
      return {};
    },

    async block(ctx, req) {
      const { unfriended } = await blocks.block(ctx.uid, req.uid);
      // The blocked user learns of the unfriending as of any other (not that it was a block).
      if (unfriended) await notify(req.uid, { kind: 'deleted', uid: ctx.uid });
      return {};
    },

    async unblock(ctx, req) {
      await blocks.unblock(ctx.uid, req.uid);
      return {};
    },

    async listBlocked(ctx) {
      return { blocked: await blocks.list(ctx.uid) };
    },
  };
}
