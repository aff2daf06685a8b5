/**
 * Message ids of the chat and file protocols (one id space: a frame's id alone says what it is).
 * Ids are stable wire API: add new ones, never renumber. Blocks of ten group a feature (1x session,
 * 2x friends, 4x messaging, 6x–8x groups, 9x profile, 10x–11x file transfer) to leave room to grow.
 */
export const MsgId = {
  Error: 1,
  Ping: 2,
  Pong: 3,

  LoginReq: 10,
  LoginResp: 11,
  Kick: 12,
  Reconnect: 13,
  LogoutReq: 14,
  LogoutResp: 15,

  SearchUserReq: 20,
  SearchUserResp: 21,
  FriendRequestReq: 22,
  FriendRequestResp: 23,
  FriendRequestListReq: 24,
  FriendRequestListResp: 25,
  FriendReplyReq: 26,
  FriendReplyResp: 27,
  FriendListReq: 28,
  FriendListResp: 29,
  FriendDeleteReq: 30,
  FriendDeleteResp: 31,
  FriendNotify: 32,
  BlockReq: 33,
  BlockResp: 34,
  UnblockReq: 35,
  UnblockResp: 36,
  BlockListReq: 37,
  BlockListResp: 38,

  SendReq: 40,
  SendAck: 41,
  MessagePush: 42,
  DeliveredAck: 43,
  SyncReq: 44,
  SyncResp: 45,
  PullReq: 46,
  PullResp: 47,
  HistoryReq: 48,
  HistoryResp: 49,

  GroupCreateReq: 60,
  GroupCreateResp: 61,
  GroupInviteReq: 62,
  GroupInviteResp: 63,
  GroupApproveReq: 64,
  GroupApproveResp: 65,
  GroupLeaveReq: 66,
  GroupLeaveResp: 67,
  GroupRemoveReq: 68,
  GroupRemoveResp: 69,
  GroupUpdateReq: 70,
  GroupUpdateResp: 71,
  GroupRoleReq: 72,
  GroupRoleResp: 73,
  GroupTransferReq: 74,
  GroupTransferResp: 75,
  GroupDissolveReq: 76,
  GroupDissolveResp: 77,
  GroupListReq: 78,
  GroupListResp: 79,
  GroupInfoReq: 80,
  GroupInfoResp: 81,
  GroupNotify: 82,

  ProfileUpdateReq: 90,
  ProfileUpdateResp: 91,

  // File server only (docs/protocol.md, "File transfer"); 102 and 109 have binary bodies.
  UploadInitReq: 100,
  UploadInitResp: 101,
  UploadChunk: 102,
  UploadChunkAck: 103,
  UploadStatusReq: 104,
  UploadStatusResp: 105,
  UploadDone: 106,
  DownloadReq: 107,
  DownloadResp: 108,
  DownloadChunk: 109,
  DownloadCancel: 110,
} as const;

export type MsgName = keyof typeof MsgId;
export type MsgIdValue = (typeof MsgId)[MsgName];

/**
 * Chat request id → the response id that answers it. Only these carry a `reqId`; an Error frame
 * with the same reqId may answer any of them instead.
 */
export const ResponseIdFor = {
  [MsgId.LoginReq]: MsgId.LoginResp,
  [MsgId.LogoutReq]: MsgId.LogoutResp,
  [MsgId.SearchUserReq]: MsgId.SearchUserResp,
  [MsgId.FriendRequestReq]: MsgId.FriendRequestResp,
  [MsgId.FriendRequestListReq]: MsgId.FriendRequestListResp,
  [MsgId.FriendReplyReq]: MsgId.FriendReplyResp,
  [MsgId.FriendListReq]: MsgId.FriendListResp,
  [MsgId.FriendDeleteReq]: MsgId.FriendDeleteResp,
  [MsgId.BlockReq]: MsgId.BlockResp,
  [MsgId.UnblockReq]: MsgId.UnblockResp,
  [MsgId.BlockListReq]: MsgId.BlockListResp,
  [MsgId.SendReq]: MsgId.SendAck,
  [MsgId.SyncReq]: MsgId.SyncResp,
  [MsgId.PullReq]: MsgId.PullResp,
  [MsgId.HistoryReq]: MsgId.HistoryResp,
  [MsgId.GroupCreateReq]: MsgId.GroupCreateResp,
  [MsgId.GroupInviteReq]: MsgId.GroupInviteResp,
  [MsgId.GroupApproveReq]: MsgId.GroupApproveResp,
  [MsgId.GroupLeaveReq]: MsgId.GroupLeaveResp,
  [MsgId.GroupRemoveReq]: MsgId.GroupRemoveResp,
  [MsgId.GroupUpdateReq]: MsgId.GroupUpdateResp,
  [MsgId.GroupRoleReq]: MsgId.GroupRoleResp,
  [MsgId.GroupTransferReq]: MsgId.GroupTransferResp,
  [MsgId.GroupDissolveReq]: MsgId.GroupDissolveResp,
  [MsgId.GroupListReq]: MsgId.GroupListResp,
  [MsgId.GroupInfoReq]: MsgId.GroupInfoResp,
  [MsgId.ProfileUpdateReq]: MsgId.ProfileUpdateResp,
} as const;

export type RequestMsgId = keyof typeof ResponseIdFor;
export type ResponseMsgId = (typeof ResponseIdFor)[RequestMsgId];

/** The same for the file server's requests (a file connection logs in like a chat connection). */
export const FileResponseIdFor = {
  [MsgId.LoginReq]: MsgId.LoginResp,
  [MsgId.UploadInitReq]: MsgId.UploadInitResp,
  [MsgId.UploadStatusReq]: MsgId.UploadStatusResp,
  [MsgId.DownloadReq]: MsgId.DownloadResp,
} as const;

export type FileRequestMsgId = keyof typeof FileResponseIdFor;

const namesById = new Map<number, MsgName>(
  (Object.keys(MsgId) as MsgName[]).map((name) => [MsgId[name], name]),
);

/** Name of a message id for logs and errors; undefined for ids this version does not know. */
export function msgName(id: number): MsgName | undefined {
  return namesById.get(id);
}

/** Like msgName, but always printable: unknown ids come out as `Unknown(1234)`. */
export function describeMsgId(id: number): string {
  return namesById.get(id) ?? `Unknown(${id})`;
}

export function isKnownMsgId(id: number): id is MsgIdValue {
  return namesById.has(id);
}

export function isRequestMsgId(id: number): id is RequestMsgId {
  return Object.prototype.hasOwnProperty.call(ResponseIdFor, id);
}
