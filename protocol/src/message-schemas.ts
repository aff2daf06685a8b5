import { z } from 'zod';
import {
  ChatMessageSchema,
  ChatMessageTypeSchema,
  ClientMsgIdSchema,
  ConversationCursorSchema,
  ConversationIdSchema,
  ConversationStateSchema,
  ErrorCodeSchema,
  FriendInfoSchema,
  FriendRequestInfoSchema,
  MessageBodySchema,
  PublicUserSchema,
  ReqIdSchema,
  SeqCursorSchema,
  SeqSchema,
  TimestampSchema,
  UidSchema,
} from './entity-schemas';
import {
  GroupCreateReqSchema,
  GroupCreateRespSchema,
  GroupInviteReqSchema,
  GroupInviteRespSchema,
  GroupApproveReqSchema,
  GroupApproveRespSchema,
  GroupLeaveReqSchema,
  GroupLeaveRespSchema,
  GroupRemoveReqSchema,
  GroupRemoveRespSchema,
  GroupUpdateReqSchema,
  GroupUpdateRespSchema,
  GroupRoleReqSchema,
  GroupRoleRespSchema,
  GroupTransferReqSchema,
  GroupTransferRespSchema,
  GroupDissolveReqSchema,
  GroupDissolveRespSchema,
  GroupListReqSchema,
  GroupListRespSchema,
  GroupInfoReqSchema,
  GroupInfoRespSchema,
  GroupNotifySchema,
} from './group-schemas';
import { MsgId } from './message-ids';
import { BlockListReqSchema, BlockListRespSchema, BlockReqSchema, BlockRespSchema, UnblockReqSchema, UnblockRespSchema } from './block-schemas';
import { ProfileUpdateReqSchema, ProfileUpdateRespSchema } from './profile-schemas';
import {
  MAX_FRIEND_NOTE_CHARS,
  MAX_HISTORY_LIMIT,
  MAX_PULL_LIMIT,
  MAX_SEARCH_LIMIT,
  MAX_SEARCH_OFFSET,
  MAX_SEARCH_QUERY_CHARS,
  MAX_SYNC_HAVE_ENTRIES,
} from './protocol-limits';

/* One schema per message id; see docs/protocol.md for direction and semantics. */

// Session

export const ErrorMsgSchema = z.object({
  reqId: ReqIdSchema.optional(),
  code: ErrorCodeSchema,
  message: z.string(),
  details: z.unknown().optional(),
});
export type ErrorMsg = z.infer<typeof ErrorMsgSchema>;

export const PingSchema = z.object({});
export type Ping = z.infer<typeof PingSchema>;

export const PongSchema = z.object({ serverTime: TimestampSchema });
export type Pong = z.infer<typeof PongSchema>;

export const LoginReqSchema = z.object({
  reqId: ReqIdSchema,
  uid: UidSchema,
  token: z.string().min(1),
});
export type LoginReq = z.infer<typeof LoginReqSchema>;

export const LoginRespSchema = z.object({
  reqId: ReqIdSchema,
  uid: UidSchema,
  serverId: z.string(),
  serverTime: TimestampSchema,
  heartbeatSec: z.int().positive(),
});
export type LoginResp = z.infer<typeof LoginRespSchema>;

/** Known kick reasons; the field stays an open string so new reasons don't break old clients. */
export const KickReason = { LoggedInElsewhere: 'logged_in_elsewhere', PasswordChanged: 'password_changed', LoggedOut: 'logged_out' } as const;

export const KickSchema = z.object({ reason: z.string() });
export type Kick = z.infer<typeof KickSchema>;

/** Revokes the login token of this session and ends it (docs/protocol.md, "Logout"). */
export const LogoutReqSchema = z.object({ reqId: ReqIdSchema });
export type LogoutReq = z.infer<typeof LogoutReqSchema>;

/** Sent just before the server's Kick {reason: 'logged_out'} and the close. */
export const LogoutRespSchema = z.object({ reqId: ReqIdSchema });
export type LogoutResp = z.infer<typeof LogoutRespSchema>;

export const ReconnectSchema = z.object({ reason: z.string() });
export type Reconnect = z.infer<typeof ReconnectSchema>;

// Friends

export const SearchUserReqSchema = z.object({
  reqId: ReqIdSchema,
  query: z.string().min(1).max(MAX_SEARCH_QUERY_CHARS),
  offset: z.int().nonnegative().max(MAX_SEARCH_OFFSET).optional(),
  limit: z.int().min(1).max(MAX_SEARCH_LIMIT).optional(),
});
export type SearchUserReq = z.infer<typeof SearchUserReqSchema>;

export const SearchUserRespSchema = z.object({
  reqId: ReqIdSchema,
  users: z.array(PublicUserSchema),
});
export type SearchUserResp = z.infer<typeof SearchUserRespSchema>;

export const FriendRequestReqSchema = z.object({
  reqId: ReqIdSchema,
  toUid: UidSchema,
  note: z.string().max(MAX_FRIEND_NOTE_CHARS).optional(),
});
export type FriendRequestReq = z.infer<typeof FriendRequestReqSchema>;

export const FriendRequestRespSchema = z.object({
  reqId: ReqIdSchema,
  requestId: z.int().positive(),
});
export type FriendRequestResp = z.infer<typeof FriendRequestRespSchema>;

export const FriendRequestListReqSchema = z.object({ reqId: ReqIdSchema });
export type FriendRequestListReq = z.infer<typeof FriendRequestListReqSchema>;

export const FriendRequestListRespSchema = z.object({
  reqId: ReqIdSchema,
  incoming: z.array(FriendRequestInfoSchema),
  outgoing: z.array(FriendRequestInfoSchema),
});
export type FriendRequestListResp = z.infer<typeof FriendRequestListRespSchema>;

export const FriendReplyReqSchema = z.object({
  reqId: ReqIdSchema,
  requestId: z.int().positive(),
  accept: z.boolean(),
});
export type FriendReplyReq = z.infer<typeof FriendReplyReqSchema>;

/** `friend` is present only when the request was accepted. */
export const FriendReplyRespSchema = z.object({
  reqId: ReqIdSchema,
  friend: FriendInfoSchema.optional(),
});
export type FriendReplyResp = z.infer<typeof FriendReplyRespSchema>;

export const FriendListReqSchema = z.object({ reqId: ReqIdSchema });
export type FriendListReq = z.infer<typeof FriendListReqSchema>;

export const FriendListRespSchema = z.object({
  reqId: ReqIdSchema,
  friends: z.array(FriendInfoSchema),
});
export type FriendListResp = z.infer<typeof FriendListRespSchema>;

export const FriendDeleteReqSchema = z.object({ reqId: ReqIdSchema, uid: UidSchema });
export type FriendDeleteReq = z.infer<typeof FriendDeleteReqSchema>;

export const FriendDeleteRespSchema = z.object({ reqId: ReqIdSchema });
export type FriendDeleteResp = z.infer<typeof FriendDeleteRespSchema>;

export const FriendNotifyKindSchema = z.enum(['request', 'accepted', 'declined', 'deleted']);
export type FriendNotifyKind = z.infer<typeof FriendNotifyKindSchema>;

/** request: new incoming request; accepted/declined: reply to ours; deleted: `uid` unfriended us. */
export const FriendNotifySchema = z.object({
  kind: FriendNotifyKindSchema,
  request: FriendRequestInfoSchema.optional(),
  friend: FriendInfoSchema.optional(),
  uid: UidSchema.optional(),
});
export type FriendNotify = z.infer<typeof FriendNotifySchema>;

// Messaging

/** Addressed either to a user (direct chat, created on first send) or to a conversation. */
export const SendReqSchema = z
  .object({
    reqId: ReqIdSchema,
    to: UidSchema.optional(),
    conversationId: ConversationIdSchema.optional(),
    clientMsgId: ClientMsgIdSchema,
    type: ChatMessageTypeSchema,
    body: MessageBodySchema,
  })
  .refine((m) => (m.to === undefined) !== (m.conversationId === undefined), {
    message: 'Exactly one of to and conversationId is required',
    path: ['to'],
  });
export type SendReq = z.infer<typeof SendReqSchema>;

export const SendAckSchema = z.object({
  reqId: ReqIdSchema,
  clientMsgId: ClientMsgIdSchema,
  conversationId: ConversationIdSchema,
  seq: SeqSchema,
  serverTime: TimestampSchema,
});
export type SendAck = z.infer<typeof SendAckSchema>;

export const MessagePushSchema = ChatMessageSchema;
export type MessagePush = z.infer<typeof MessagePushSchema>;

export const DeliveredAckSchema = z.object({
  conversationId: ConversationIdSchema,
  seq: SeqSchema,
});
export type DeliveredAck = z.infer<typeof DeliveredAckSchema>;

export const SyncReqSchema = z.object({
  reqId: ReqIdSchema,
  have: z.array(ConversationCursorSchema).max(MAX_SYNC_HAVE_ENTRIES).optional(),
});
export type SyncReq = z.infer<typeof SyncReqSchema>;

export const SyncRespSchema = z.object({
  reqId: ReqIdSchema,
  conversations: z.array(ConversationStateSchema),
});
export type SyncResp = z.infer<typeof SyncRespSchema>;

/** Messages with seq > afterSeq, ascending; hasMore means call again from the last seq. */
export const PullReqSchema = z.object({
  reqId: ReqIdSchema,
  conversationId: ConversationIdSchema,
  afterSeq: SeqCursorSchema,
  limit: z.int().min(1).max(MAX_PULL_LIMIT).optional(),
});
export type PullReq = z.infer<typeof PullReqSchema>;

export const PullRespSchema = z.object({
  reqId: ReqIdSchema,
  conversationId: ConversationIdSchema,
  messages: z.array(ChatMessageSchema),
  hasMore: z.boolean(),
});
export type PullResp = z.infer<typeof PullRespSchema>;

/** The newest messages with seq < beforeSeq (or the newest overall), returned ascending. */
export const HistoryReqSchema = z.object({
  reqId: ReqIdSchema,
  conversationId: ConversationIdSchema,
  beforeSeq: SeqSchema.optional(),
  limit: z.int().min(1).max(MAX_HISTORY_LIMIT).optional(),
});
export type HistoryReq = z.infer<typeof HistoryReqSchema>;

/** Ascending by seq; hasMore means older messages exist before messages[0]. */
export const HistoryRespSchema = z.object({
  reqId: ReqIdSchema,
  conversationId: ConversationIdSchema,
  messages: z.array(ChatMessageSchema),
  hasMore: z.boolean(),
});
export type HistoryResp = z.infer<typeof HistoryRespSchema>;

// Direction maps: the only place that says who may send what.

export const ClientMessageSchemas = {
  [MsgId.Ping]: PingSchema,
  [MsgId.LoginReq]: LoginReqSchema,
  [MsgId.LogoutReq]: LogoutReqSchema,
  [MsgId.SearchUserReq]: SearchUserReqSchema,
  [MsgId.FriendRequestReq]: FriendRequestReqSchema,
  [MsgId.FriendRequestListReq]: FriendRequestListReqSchema,
  [MsgId.FriendReplyReq]: FriendReplyReqSchema,
  [MsgId.FriendListReq]: FriendListReqSchema,
  [MsgId.FriendDeleteReq]: FriendDeleteReqSchema,
  [MsgId.BlockReq]: BlockReqSchema,
  [MsgId.UnblockReq]: UnblockReqSchema,
  [MsgId.BlockListReq]: BlockListReqSchema,
  [MsgId.SendReq]: SendReqSchema,
  [MsgId.DeliveredAck]: DeliveredAckSchema,
  [MsgId.SyncReq]: SyncReqSchema,
  [MsgId.PullReq]: PullReqSchema,
  [MsgId.HistoryReq]: HistoryReqSchema,
  [MsgId.GroupCreateReq]: GroupCreateReqSchema,
  [MsgId.GroupInviteReq]: GroupInviteReqSchema,
  [MsgId.GroupApproveReq]: GroupApproveReqSchema,
  [MsgId.GroupLeaveReq]: GroupLeaveReqSchema,
  [MsgId.GroupRemoveReq]: GroupRemoveReqSchema,
  [MsgId.GroupUpdateReq]: GroupUpdateReqSchema,
  [MsgId.GroupRoleReq]: GroupRoleReqSchema,
  [MsgId.GroupTransferReq]: GroupTransferReqSchema,
  [MsgId.GroupDissolveReq]: GroupDissolveReqSchema,
  [MsgId.GroupListReq]: GroupListReqSchema,
  [MsgId.GroupInfoReq]: GroupInfoReqSchema,
  [MsgId.ProfileUpdateReq]: ProfileUpdateReqSchema,
} as const;

export const ServerMessageSchemas = {
  [MsgId.Error]: ErrorMsgSchema,
  [MsgId.Pong]: PongSchema,
  [MsgId.LoginResp]: LoginRespSchema,
  [MsgId.Kick]: KickSchema,
  [MsgId.Reconnect]: ReconnectSchema,
  [MsgId.LogoutResp]: LogoutRespSchema,
  [MsgId.SearchUserResp]: SearchUserRespSchema,
  [MsgId.FriendRequestResp]: FriendRequestRespSchema,
  [MsgId.FriendRequestListResp]: FriendRequestListRespSchema,
  [MsgId.FriendReplyResp]: FriendReplyRespSchema,
  [MsgId.FriendListResp]: FriendListRespSchema,
  [MsgId.FriendDeleteResp]: FriendDeleteRespSchema,
  [MsgId.BlockResp]: BlockRespSchema,
  [MsgId.UnblockResp]: UnblockRespSchema,
  [MsgId.BlockListResp]: BlockListRespSchema,
  [MsgId.FriendNotify]: FriendNotifySchema,
  [MsgId.SendAck]: SendAckSchema,
  [MsgId.MessagePush]: MessagePushSchema,
  [MsgId.SyncResp]: SyncRespSchema,
  [MsgId.PullResp]: PullRespSchema,
  [MsgId.HistoryResp]: HistoryRespSchema,
  [MsgId.GroupCreateResp]: GroupCreateRespSchema,
  [MsgId.GroupInviteResp]: GroupInviteRespSchema,
  [MsgId.GroupApproveResp]: GroupApproveRespSchema,
  [MsgId.GroupLeaveResp]: GroupLeaveRespSchema,
  [MsgId.GroupRemoveResp]: GroupRemoveRespSchema,
  [MsgId.GroupUpdateResp]: GroupUpdateRespSchema,
  [MsgId.GroupRoleResp]: GroupRoleRespSchema,
  [MsgId.GroupTransferResp]: GroupTransferRespSchema,
  [MsgId.GroupDissolveResp]: GroupDissolveRespSchema,
  [MsgId.GroupListResp]: GroupListRespSchema,
  [MsgId.GroupInfoResp]: GroupInfoRespSchema,
  [MsgId.GroupNotify]: GroupNotifySchema,
  [MsgId.ProfileUpdateResp]: ProfileUpdateRespSchema,
} as const;

export type ClientFrameId = keyof typeof ClientMessageSchemas;
export type ServerFrameId = keyof typeof ServerMessageSchemas;

/** The body type of a client→server message id. */
export type ClientMessageOf<I extends ClientFrameId> = z.infer<(typeof ClientMessageSchemas)[I]>;
/** What a sender may write for a client→server message id (fields with defaults are optional). */
export type ClientMessageInput<I extends ClientFrameId> = z.input<(typeof ClientMessageSchemas)[I]>;
/** The body type of a server→client message id. */
export type ServerMessageOf<I extends ServerFrameId> = z.infer<(typeof ServerMessageSchemas)[I]>;

/** Discriminated union of every client message: narrow on `id` to get a typed `msg`. */
export type ClientMessage = { [I in ClientFrameId]: { id: I; msg: ClientMessageOf<I> } }[ClientFrameId];
export type ServerMessage = { [I in ServerFrameId]: { id: I; msg: ServerMessageOf<I> } }[ServerFrameId];
