import { MsgId } from '../message-ids';
import type { ClientFrameId, ClientMessageInput } from '../message-schemas';
import type { FileClientFrameId } from '../file-schemas';

/**
 * One valid body for every client→server message: the seeds the fuzzer mutates. Typed against the
 * schemas, and a test decodes each, so a schema change cannot leave the fuzzer mutating stale shapes.
 */
export const CHAT_SAMPLES: { [I in ClientFrameId]: ClientMessageInput<I> } = {
  [MsgId.Ping]: {},
  [MsgId.LoginReq]: { reqId: 1, uid: 1, token: 'x'.repeat(43) },
  [MsgId.LogoutReq]: { reqId: 2 },
  [MsgId.SearchUserReq]: { reqId: 3, query: 'ali', offset: 0, limit: 10 },
  [MsgId.FriendRequestReq]: { reqId: 4, toUid: 2, note: 'hi, it is me' },
  [MsgId.FriendRequestListReq]: { reqId: 5 },
  [MsgId.FriendReplyReq]: { reqId: 6, requestId: 1, accept: true },
  [MsgId.FriendListReq]: { reqId: 7 },
  [MsgId.FriendDeleteReq]: { reqId: 8, uid: 2 },
  [MsgId.BlockReq]: { reqId: 9, uid: 2 },
  [MsgId.UnblockReq]: { reqId: 10, uid: 2 },
  [MsgId.BlockListReq]: { reqId: 11 },
  [MsgId.SendReq]: { reqId: 12, to: 2, clientMsgId: 'c-1', type: 'text', body: 'hello' },
  [MsgId.DeliveredAck]: { conversationId: 1, seq: 1 },
  [MsgId.SyncReq]: { reqId: 13, have: [{ conversationId: 1, seq: 0 }] },
  [MsgId.PullReq]: { reqId: 14, conversationId: 1, afterSeq: 0, limit: 10 },
  [MsgId.HistoryReq]: { reqId: 15, conversationId: 1, beforeSeq: 5, limit: 10 },
  [MsgId.GroupCreateReq]: { reqId: 16, name: 'Team', avatar: 'https://img.example/t.png', members: [2, 3] },
  [MsgId.GroupInviteReq]: { reqId: 17, groupId: 1, uids: [2] },
  [MsgId.GroupApproveReq]: { reqId: 18, groupId: 1, inviteId: 1, approve: true },
  [MsgId.GroupLeaveReq]: { reqId: 19, groupId: 1 },
  [MsgId.GroupRemoveReq]: { reqId: 20, groupId: 1, uid: 2 },
  [MsgId.GroupUpdateReq]: { reqId: 21, groupId: 1, name: 'New name', approvalRequired: true },
  [MsgId.GroupRoleReq]: { reqId: 22, groupId: 1, uid: 2, role: 'admin' },
  [MsgId.GroupTransferReq]: { reqId: 23, groupId: 1, uid: 2 },
  [MsgId.GroupDissolveReq]: { reqId: 24, groupId: 1 },
  [MsgId.GroupListReq]: { reqId: 25 },
  [MsgId.GroupInfoReq]: { reqId: 26, groupId: 1, afterUid: 0, limit: 10 },
  [MsgId.ProfileUpdateReq]: { reqId: 27, nickname: 'Nick' },
};

/** The JSON file-server requests (UploadChunk, binary, is built by the mutator). */
export const FILE_SAMPLES: Partial<Record<FileClientFrameId, Record<string, unknown>>> = {
  [MsgId.UploadInitReq]: { reqId: 30, name: 'plan.pdf', size: 1000, sha256: 'a'.repeat(64), mime: 'application/pdf' },
  [MsgId.UploadStatusReq]: { reqId: 31, fileId: 1 },
  [MsgId.DownloadReq]: { reqId: 32, fileId: 1, offset: 0 },
  [MsgId.DownloadCancel]: { fileId: 1 },
};

/** Every sample as [id, body]; the chat ones first. */
export function allSamples(): [number, Record<string, unknown>][] {
  return [...Object.entries(CHAT_SAMPLES), ...Object.entries(FILE_SAMPLES)].map(([id, body]) => [Number(id), body as Record<string, unknown>]);
}
