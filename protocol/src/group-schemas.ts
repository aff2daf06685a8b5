import { z } from 'zod';
import { ConversationIdSchema, PublicUserSchema, ReqIdSchema, TimestampSchema, UidSchema } from './entity-schemas';
import { MAX_GROUP_AVATAR_CHARS, MAX_GROUP_INVITE_UIDS, MAX_GROUP_MEMBER_PAGE, MAX_GROUP_NAME_CHARS } from './protocol-limits';

/* Groups: entities, requests, responses and the GroupNotify push (ids 60–82, docs/protocol.md). */

export const GroupIdSchema = z.int().positive();

/** Format characters (bidi overrides, zero-width) would let a name pretend to be another. */
const FORMAT_CHARS = /[\p{Cc}\p{Cf}]/u;

/** 1–64 characters once trimmed, no control or format characters; stored trimmed. */
export const GroupNameSchema = z
  .string()
  .trim()
  .min(1)
  .max(MAX_GROUP_NAME_CHARS)
  .refine((s) => !FORMAT_CHARS.test(s), { message: 'must not contain control or format characters' });

/** A URL or a file reference; empty for none. */
export const GroupAvatarSchema = z
  .string()
  .max(MAX_GROUP_AVATAR_CHARS)
  .refine((s) => !FORMAT_CHARS.test(s), { message: 'must not contain control or format characters' });

export const GroupRoleSchema = z.enum(['owner', 'admin', 'member']);
export type GroupRole = z.infer<typeof GroupRoleSchema>;

/** A group as one of its members sees it. */
export const GroupSummarySchema = z.object({
  groupId: GroupIdSchema,
  conversationId: ConversationIdSchema,
  name: z.string(),
  avatar: z.string(),
  ownerUid: UidSchema,
  approvalRequired: z.boolean(),
  memberCount: z.int().nonnegative(),
  myRole: GroupRoleSchema,
});
export type GroupSummary = z.infer<typeof GroupSummarySchema>;

export const GroupMemberSchema = z.object({
  ...PublicUserSchema.shape,
  role: GroupRoleSchema,
  joinedAt: TimestampSchema,
});
export type GroupMember = z.infer<typeof GroupMemberSchema>;

/** An invitation waiting for the owner or an admin (approval-required groups). */
export const GroupInviteSchema = z.object({
  inviteId: z.int().positive(),
  groupId: GroupIdSchema,
  invitee: PublicUserSchema,
  inviter: PublicUserSchema,
  createdAt: TimestampSchema,
});
export type GroupInvite = z.infer<typeof GroupInviteSchema>;

const UidListSchema = z.array(UidSchema).max(MAX_GROUP_INVITE_UIDS);

export const GroupCreateReqSchema = z.object({
  reqId: ReqIdSchema,
  name: GroupNameSchema,
  avatar: GroupAvatarSchema.optional(),
  /** Friends of the creator; the creator is added as owner and need not be listed. */
  members: UidListSchema.default([]),
});
export type GroupCreateReq = z.infer<typeof GroupCreateReqSchema>;

export const GroupCreateRespSchema = z.object({ reqId: ReqIdSchema, group: GroupSummarySchema });
export type GroupCreateResp = z.infer<typeof GroupCreateRespSchema>;

export const GroupInviteReqSchema = z.object({ reqId: ReqIdSchema, groupId: GroupIdSchema, uids: UidListSchema.min(1) });
export type GroupInviteReq = z.infer<typeof GroupInviteReqSchema>;

/** added: members now; pending: awaiting approval; already: were members (nothing done). */
export const GroupInviteRespSchema = z.object({
  reqId: ReqIdSchema,
  added: z.array(UidSchema),
  pending: z.array(UidSchema),
  already: z.array(UidSchema),
});
export type GroupInviteResp = z.infer<typeof GroupInviteRespSchema>;

export const GroupApproveReqSchema = z.object({ reqId: ReqIdSchema, groupId: GroupIdSchema, inviteId: z.int().positive(), approve: z.boolean() });
export type GroupApproveReq = z.infer<typeof GroupApproveReqSchema>;

export const GroupApproveRespSchema = z.object({ reqId: ReqIdSchema, added: z.boolean() });
export type GroupApproveResp = z.infer<typeof GroupApproveRespSchema>;

export const GroupLeaveReqSchema = z.object({ reqId: ReqIdSchema, groupId: GroupIdSchema });
export type GroupLeaveReq = z.infer<typeof GroupLeaveReqSchema>;

export const GroupLeaveRespSchema = z.object({ reqId: ReqIdSchema });
export type GroupLeaveResp = z.infer<typeof GroupLeaveRespSchema>;

export const GroupRemoveReqSchema = z.object({ reqId: ReqIdSchema, groupId: GroupIdSchema, uid: UidSchema });
export type GroupRemoveReq = z.infer<typeof GroupRemoveReqSchema>;

export const GroupRemoveRespSchema = z.object({ reqId: ReqIdSchema });
export type GroupRemoveResp = z.infer<typeof GroupRemoveRespSchema>;

/** Owner only; at least one field. */
export const GroupUpdateReqSchema = z
  .object({
    reqId: ReqIdSchema,
    groupId: GroupIdSchema,
    name: GroupNameSchema.optional(),
    avatar: GroupAvatarSchema.optional(),
    approvalRequired: z.boolean().optional(),
  })
  .refine((m) => m.name !== undefined || m.avatar !== undefined || m.approvalRequired !== undefined, {
    message: 'Give at least one of name, avatar and approvalRequired',
    path: ['name'],
  });
export type GroupUpdateReq = z.infer<typeof GroupUpdateReqSchema>;

export const GroupUpdateRespSchema = z.object({ reqId: ReqIdSchema, group: GroupSummarySchema });
export type GroupUpdateResp = z.infer<typeof GroupUpdateRespSchema>;

/** Owner only: make a member an admin, or an admin a member again. */
export const GroupRoleReqSchema = z.object({ reqId: ReqIdSchema, groupId: GroupIdSchema, uid: UidSchema, role: z.enum(['admin', 'member']) });
export type GroupRoleReq = z.infer<typeof GroupRoleReqSchema>;

export const GroupRoleRespSchema = z.object({ reqId: ReqIdSchema });
export type GroupRoleResp = z.infer<typeof GroupRoleRespSchema>;

/** Owner only: the member `uid` becomes owner, the old owner an admin. */
export const GroupTransferReqSchema = z.object({ reqId: ReqIdSchema, groupId: GroupIdSchema, uid: UidSchema });
export type GroupTransferReq = z.infer<typeof GroupTransferReqSchema>;

export const GroupTransferRespSchema = z.object({ reqId: ReqIdSchema });
export type GroupTransferResp = z.infer<typeof GroupTransferRespSchema>;

export const GroupDissolveReqSchema = z.object({ reqId: ReqIdSchema, groupId: GroupIdSchema });
export type GroupDissolveReq = z.infer<typeof GroupDissolveReqSchema>;

export const GroupDissolveRespSchema = z.object({ reqId: ReqIdSchema });
export type GroupDissolveResp = z.infer<typeof GroupDissolveRespSchema>;

export const GroupListReqSchema = z.object({ reqId: ReqIdSchema });
export type GroupListReq = z.infer<typeof GroupListReqSchema>;

export const GroupListRespSchema = z.object({ reqId: ReqIdSchema, groups: z.array(GroupSummarySchema) });
export type GroupListResp = z.infer<typeof GroupListRespSchema>;

/** Members ordered by uid: the page after `afterUid` (0 = from the start). */
export const GroupInfoReqSchema = z.object({
  reqId: ReqIdSchema,
  groupId: GroupIdSchema,
  afterUid: z.int().nonnegative().optional(),
  limit: z.int().min(1).max(MAX_GROUP_MEMBER_PAGE).optional(),
});
export type GroupInfoReq = z.infer<typeof GroupInfoReqSchema>;

/** `nextAfterUid` is present when more members follow; `pendingInvites` only for the owner and admins. */
export const GroupInfoRespSchema = z.object({
  reqId: ReqIdSchema,
  group: GroupSummarySchema,
  members: z.array(GroupMemberSchema),
  nextAfterUid: UidSchema.optional(),
  pendingInvites: z.array(GroupInviteSchema).optional(),
});
export type GroupInfoResp = z.infer<typeof GroupInfoRespSchema>;

/**
 * added: you are now a member; removed: you were removed, left or the group was dissolved
 * (`reason`); invite_pending: (owner and admins) an invitation awaits approval.
 */
export const GroupNotifySchema = z.object({
  kind: z.enum(['added', 'removed', 'invite_pending']),
  group: GroupSummarySchema.omit({ myRole: true }),
  by: UidSchema.optional(),
  reason: z.enum(['removed', 'left', 'dissolved']).optional(),
  invite: GroupInviteSchema.optional(),
});
export type GroupNotify = z.infer<typeof GroupNotifySchema>;

/** What a group `system` message's body holds (a JSON string): the change, who made it, whom it concerns. */
export const GroupEventSchema = z.object({
  event: z.enum(['created', 'joined', 'left', 'removed', 'renamed', 'avatar_changed', 'approval_changed', 'role_changed', 'owner_transferred', 'dissolved']),
  /** Who made the change. */
  actor: UidSchema,
  /** The members it concerns (joined, removed, role_changed, owner_transferred: the new owner). */
  uids: z.array(UidSchema).optional(),
  /** For joined after an approval: who invited them. */
  inviter: UidSchema.optional(),
  name: z.string().optional(),
  avatar: z.string().optional(),
  role: GroupRoleSchema.optional(),
  approvalRequired: z.boolean().optional(),
});
export type GroupEvent = z.infer<typeof GroupEventSchema>;
