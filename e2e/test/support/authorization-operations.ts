import assert from 'node:assert/strict';
import { ChatClient, encodeFrame, FileClient, MsgId, ProtocolError, type ChatMessage, type RequestMsgId } from '@parley/protocol';
import type { Operation, Outcome, Principal } from '../../src/authorization-table';
import { bearer, requestJson } from '../../src/gate-api';
import { addAdmin, addPlainMember, AFTER_REMOVAL, pendingInvite, type AuthorizationWorld } from './authorization-world';
import { RawConnection } from './chat-fixtures';

/** One cell's request, and for an allowed one what its answer must (not) reveal. */
export type CellRequest =
  | { kind: 'chat'; id: RequestMsgId; body: Record<string, unknown>; check?: (resp: Record<string, unknown>) => void }
  | { kind: 'file'; fileId: number }
  | { kind: 'http'; method: 'GET' | 'POST'; path: string; body?: unknown; check?: (body: Record<string, unknown>) => void };

/** Operations whose allowed cells change the caller's own relations (or end G): each row gets a world of its own. */
export const NEEDS_OWN_WORLD: ReadonlySet<Operation> = new Set<Operation>(['group.approve', 'group.transfer', 'group.leave', 'group.dissolve', 'friend.delete', 'block', 'logout', 'rest.logout']);

const EVER_IN_G = new Set<Principal>(['member', 'admin', 'owner', 'removed']);
const NOW_IN_G = new Set<Principal>(['member', 'admin', 'owner']);
const IN_DIRECT = new Set<Principal>(['friend', 'owner']);

/** A reader sees what was posted after a member's removal only while still a member. */
function checkMessages(w: AuthorizationWorld, p: Principal, messages: ChatMessage[]): void {
  assert.ok(messages.length > 0, 'a reader sees messages');
  const late = messages.some((m) => m.body === AFTER_REMOVAL);
  assert.equal(late, p !== 'removed', `${p} ${p === 'removed' ? 'must not' : 'must'} see the message posted after the removal`);
  assert.ok(messages.every((m) => m.conversationId === w.groupConversationId));
}

/** Only conversations the caller is or was in are listed. */
function checkConversationList(w: AuthorizationWorld, p: Principal, list: { conversationId: number }[]): void {
  const ids = new Set(list.map((c) => c.conversationId));
  assert.equal(ids.has(w.groupConversationId), EVER_IN_G.has(p), `${p} and G's conversation in the list`);
  assert.equal(ids.has(w.directConversationId), IN_DIRECT.has(p), `${p} and Alice's direct conversation in the list`);
}

export const OPERATION_REQUESTS: Record<Operation, (w: AuthorizationWorld, p: Principal) => CellRequest | Promise<CellRequest>> = {
  'dm.send': (w) => ({ kind: 'chat', id: MsgId.SendReq, body: { to: w.alice.uid, clientMsgId: cmid(), type: 'text', body: 'hi Alice' } }),
  'dm.send-in-conversation': (w) => ({ kind: 'chat', id: MsgId.SendReq, body: { conversationId: w.directConversationId, clientMsgId: cmid(), type: 'text', body: 'hi' } }),
  'dm.send-own-conversation': (w, p) => ({ kind: 'chat', id: MsgId.SendReq, body: { conversationId: ownDirect(w, p), clientMsgId: cmid(), type: 'text', body: 'hi again' } }),
  'dm.history': (w) => ({ kind: 'chat', id: MsgId.HistoryReq, body: { conversationId: w.directConversationId } }),
  'group.send': (w) => ({ kind: 'chat', id: MsgId.SendReq, body: { conversationId: w.groupConversationId, clientMsgId: cmid(), type: 'text', body: 'hi G' } }),
  'group.pull': (w, p) => ({
    kind: 'chat',
    id: MsgId.PullReq,
    body: { conversationId: w.groupConversationId, afterSeq: 0 },
    check: (r) => checkMessages(w, p, r.messages as ChatMessage[]),
  }),
  'group.history': (w, p) => ({
    kind: 'chat',
    id: MsgId.HistoryReq,
    body: { conversationId: w.groupConversationId },
    check: (r) => checkMessages(w, p, r.messages as ChatMessage[]),
  }),
  sync: (w, p) => ({ kind: 'chat', id: MsgId.SyncReq, body: {}, check: (r) => checkConversationList(w, p, r.conversations as { conversationId: number }[]) }),
  'group.info': (w) => ({ kind: 'chat', id: MsgId.GroupInfoReq, body: { groupId: w.groupId } }),
  'group.invite': (w) => ({ kind: 'chat', id: MsgId.GroupInviteReq, body: { groupId: w.groupId, uids: [w.alice.uid] } }),
  'group.remove': async (w, p) => {
    // Only cells that reach the check need a victim of their own; the others name Alice's admin.
    const uid = p === 'owner' || p === 'admin' || p === 'member' ? (await addPlainMember(w)).uid : w.users.member.uid;
    return { kind: 'chat', id: MsgId.GroupRemoveReq, body: { groupId: w.groupId, uid } };
  },
  'group.remove-admin': async (w, p) => {
    const uid = p === 'owner' || p === 'admin' || p === 'member' ? (await addAdmin(w)).uid : w.users.admin.uid;
    return { kind: 'chat', id: MsgId.GroupRemoveReq, body: { groupId: w.groupId, uid } };
  },
  'group.approve': async (w) => ({ kind: 'chat', id: MsgId.GroupApproveReq, body: { groupId: w.groupId, inviteId: await pendingInvite(w), approve: false } }),
  'group.transfer': (w) => ({ kind: 'chat', id: MsgId.GroupTransferReq, body: { groupId: w.groupId, uid: w.users.member.uid } }),
  'group.leave': (w) => ({ kind: 'chat', id: MsgId.GroupLeaveReq, body: { groupId: w.groupId } }),
  'group.role': (w) => ({ kind: 'chat', id: MsgId.GroupRoleReq, body: { groupId: w.groupId, uid: w.users.member.uid, role: 'member' } }),
  'group.rename': (w) => ({ kind: 'chat', id: MsgId.GroupUpdateReq, body: { groupId: w.groupId, name: 'Renamed' } }),
  'group.dissolve': (w) => ({ kind: 'chat', id: MsgId.GroupDissolveReq, body: { groupId: w.groupId } }),
  'file.download': (w) => ({ kind: 'file', fileId: w.fileId }),
  'friend.request': (w) => ({ kind: 'chat', id: MsgId.FriendRequestReq, body: { toUid: w.alice.uid } }),
  'friend.reply': (w) => ({ kind: 'chat', id: MsgId.FriendReplyReq, body: { requestId: w.requestId, accept: false } }),
  'friend.delete': (w) => ({ kind: 'chat', id: MsgId.FriendDeleteReq, body: { uid: w.alice.uid } }),
  block: (w) => ({ kind: 'chat', id: MsgId.BlockReq, body: { uid: w.alice.uid } }),
  logout: () => ({ kind: 'chat', id: MsgId.LogoutReq, body: {} }),
  'rest.conversations': (w, p) => ({
    kind: 'http',
    method: 'GET',
    path: '/api/conversations',
    check: (b) => checkConversationList(w, p, b.conversations as { conversationId: number }[]),
  }),
  'rest.group-messages': (w, p) => ({
    kind: 'http',
    method: 'GET',
    path: `/api/conversations/${w.groupConversationId}/messages`,
    check: (b) => checkMessages(w, p, b.messages as ChatMessage[]),
  }),
  'rest.group-post': (w) => ({ kind: 'http', method: 'POST', path: `/api/conversations/${w.groupConversationId}/messages`, body: { clientMsgId: cmid(), type: 'text', body: 'hi over REST' } }),
  'rest.direct-messages': (w) => ({ kind: 'http', method: 'GET', path: `/api/conversations/${w.directConversationId}/messages` }),
  'rest.direct-post': (w, p) => ({ kind: 'http', method: 'POST', path: `/api/conversations/${ownDirect(w, p)}/messages`, body: { clientMsgId: cmid(), type: 'text', body: 'hi again over REST' } }),
  'rest.groups': (w, p) => ({
    kind: 'http',
    method: 'GET',
    path: '/api/groups',
    check: (b) => assert.equal((b.groups as { groupId: number }[]).some((g) => g.groupId === w.groupId), NOW_IN_G.has(p), `${p} and G in the list`),
  }),
  'rest.group-create': (w) => ({ kind: 'http', method: 'POST', path: '/api/groups', body: { name: 'With Alice', members: [w.alice.uid] } }),
  'rest.group-info': (w) => ({ kind: 'http', method: 'GET', path: `/api/groups/${w.groupId}` }),
  'rest.logout': () => ({ kind: 'http', method: 'POST', path: '/api/logout', body: {} }),
  'rest.health': () => ({ kind: 'http', method: 'GET', path: '/api/health' }),
};

/** The caller's direct conversation with Alice; Alice's with her friend for callers who have none. */
function ownDirect(w: AuthorizationWorld, p: Principal): number {
  return w.directWith[p] ?? w.directConversationId;
}

let n = 0;
function cmid(): string {
  return `authz-${process.pid}-${++n}`;
}

function codeOf(err: unknown): Outcome {
  if (err instanceof ProtocolError) return err.code;
  throw err;
}

/** Runs one cell and says what the server answered: `allow` (after the request's check) or the error code. */
export async function perform(w: AuthorizationWorld, p: Principal, req: CellRequest): Promise<Outcome> {
  if (req.kind === 'http') {
    const headers = p === 'stranger' ? {} : bearer(w.users[p].uid, w.users[p].token);
    const res = await requestJson(req.method, w.cluster.gateUrl, req.path, req.body, headers);
    if (res.status < 300) {
      req.check?.(res.body);
      return 'allow';
    }
    const code = (res.body as { error?: { code?: Outcome } }).error?.code;
    assert.ok(code, `an error answer names its code: ${res.status} ${JSON.stringify(res.body)}`);
    return code;
  }
  const endpoint = req.kind === 'file' ? { ...w.cluster.fileEndpoint('file1'), grpcPort: 0 } : w.cluster.chatEndpoint('chat1');
  if (p === 'stranger') {
    const raw = await RawConnection.connect(endpoint);
    try {
      raw.write(req.kind === 'file' ? encodeFrame(MsgId.DownloadReq, { reqId: 1, fileId: req.fileId }) : encodeFrame(req.id, { ...req.body, reqId: 1 }));
      const first = await raw.next(0);
      if (first.id !== MsgId.Error) return 'allow';
      await raw.waitClosed();
      return first.msg.code;
    } finally {
      raw.destroy();
    }
  }
  if (req.kind === 'file') {
    const client = new FileClient({ defaultTimeoutMs: 5000 });
    await client.connect(endpoint.host, endpoint.tcpPort);
    try {
      await client.login(w.users[p].uid, w.users[p].token);
      await client.request(MsgId.DownloadReq, { fileId: req.fileId, offset: 0 });
      return 'allow';
    } catch (err) {
      return codeOf(err);
    } finally {
      client.destroy();
    }
  }
  if (p === 'logged-out') {
    const client = new ChatClient({ defaultTimeoutMs: 5000 });
    await client.connect(endpoint.host, endpoint.tcpPort);
    try {
      await client.login(w.users[p].uid, w.users[p].token);
      await client.request(req.id, req.body as never);
      return 'allow';
    } catch (err) {
      return codeOf(err);
    } finally {
      client.destroy();
    }
  }
  try {
    const resp = await (await w.session(p)).request(req.id, req.body as never);
    req.check?.(resp as unknown as Record<string, unknown>);
    return 'allow';
  } catch (err) {
    return codeOf(err);
  }
}
