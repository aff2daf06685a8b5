import type { Logger, MysqlPool } from '@parley/common';
import { MsgId } from '@parley/protocol';
import type { UserNotifier } from '../cluster/user-notifier';
import { groupAvatar, publishAvatar } from '../profile';
import type { RequestHandlers } from '../session/request-router';
import { GroupService, type GroupChange } from './group-service';

export interface GroupHandlerDeps {
  pool: MysqlPool;
  notifier: UserNotifier;
  logger: Logger;
  /** chat.group_max_members */
  maxMembers: number;
}

type GroupRequestId =
  | typeof MsgId.GroupCreateReq
  | typeof MsgId.GroupInviteReq
  | typeof MsgId.GroupApproveReq
  | typeof MsgId.GroupLeaveReq
  | typeof MsgId.GroupRemoveReq
  | typeof MsgId.GroupUpdateReq
  | typeof MsgId.GroupRoleReq
  | typeof MsgId.GroupTransferReq
  | typeof MsgId.GroupDissolveReq
  | typeof MsgId.GroupListReq
  | typeof MsgId.GroupInfoReq;

export type GroupHandlers = Required<Pick<RequestHandlers, GroupRequestId>>;

/**
 * The group requests of the chat protocol, for the router to call by message id. A change is
 * answered once its transaction has committed; then its system messages are pushed to the members
 * (MessagePush) and the users it concerns hear of it (GroupNotify). Pushes are best effort: a
 * member who misses one learns the change by sync.
 */
export function createGroupHandlers({ pool, notifier, logger, maxMembers }: GroupHandlerDeps): GroupHandlers {
  const service = new GroupService({ pool, logger, maxMembers });

  function publish<T>(change: GroupChange<T>): T {
    for (const { message, recipients } of change.messages) {
      notifier.pushMany(recipients, MsgId.MessagePush, message).catch((err: unknown) => logger.warn({ err, conversationId: message.conversationId }, 'group push failed'));
    }
    for (const notice of change.notices) {
      notifier.push(notice.uid, MsgId.GroupNotify, notice.body).catch((err: unknown) => logger.warn({ err, uid: notice.uid }, 'group notify failed'));
    }
    return change.answer;
  }

  return {
    [MsgId.GroupCreateReq]: async (ctx, req) => {
      const avatar = await groupAvatar(pool, ctx.uid, req.avatar ?? '');
      const created = await service.create(ctx.uid, req.name, avatar.value, req.members);
      await publishAvatar(pool, avatar);
      return { group: publish(created) };
    },
    [MsgId.GroupInviteReq]: async (ctx, req) => publish(await service.invite(ctx.uid, req.groupId, req.uids)),
    [MsgId.GroupApproveReq]: async (ctx, req) => publish(await service.approve(ctx.uid, req.groupId, req.inviteId, req.approve)),
    [MsgId.GroupLeaveReq]: async (ctx, req) => publish(await service.leave(ctx.uid, req.groupId)),
    [MsgId.GroupRemoveReq]: async (ctx, req) => publish(await service.remove(ctx.uid, req.groupId, req.uid)),
    [MsgId.GroupUpdateReq]: async (ctx, req) => {
      const change: { name?: string; avatar?: string; approvalRequired?: boolean } = {};
      if (req.name !== undefined) change.name = req.name;
      const avatar = req.avatar === undefined ? undefined : await groupAvatar(pool, ctx.uid, req.avatar);
      if (avatar) change.avatar = avatar.value;
      if (req.approvalRequired !== undefined) change.approvalRequired = req.approvalRequired;
      // Only the owner may change the group: the image becomes public once the change has committed,
      // before the members hear of it.
      const updated = await service.update(ctx.uid, req.groupId, change);
      if (avatar) await publishAvatar(pool, avatar);
      return { group: publish(updated) };
    },
    [MsgId.GroupRoleReq]: async (ctx, req) => publish(await service.setRole(ctx.uid, req.groupId, req.uid, req.role)),
    [MsgId.GroupTransferReq]: async (ctx, req) => publish(await service.transfer(ctx.uid, req.groupId, req.uid)),
    [MsgId.GroupDissolveReq]: async (ctx, req) => publish(await service.dissolve(ctx.uid, req.groupId)),
    [MsgId.GroupListReq]: async (ctx) => ({ groups: await service.list(ctx.uid) }),
    [MsgId.GroupInfoReq]: async (ctx, req) => service.info(ctx.uid, req.groupId, req.afterUid, req.limit),
  };
}
