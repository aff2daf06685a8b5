import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ClientMessageSchemas,
  FRAME_HEADER_BYTES,
  MAX_MESSAGE_BODY_BYTES,
  MsgId,
  ProtocolError,
  ServerMessageSchemas,
  ValidationError,
  decodeClientMessage,
  decodeServerMessage,
  describeMsgId,
  encodeClientMessage,
  encodeFrame,
  encodeFrameRaw,
  msgName,
  peekReqId,
} from '../src/index';
import type { ClientMessageOf, ClientFrameId, ErrorCode, Frame, ServerFrameId, ServerMessageOf } from '../src/index';

function frameOf(id: number, body: unknown): Frame {
  return { id, body: Buffer.from(JSON.stringify(body), 'utf8') };
}

const user = { uid: 2, name: 'bob', nickname: 'Bob', avatar: '' };
const friend = { ...user, online: true, conversationId: 9 };
const request = { requestId: 3, from: user, to: { ...user, uid: 3 }, note: 'hi', status: 'pending', createdAt: 1_700_000_000_000 } as const;
const chat = { conversationId: 9, seq: 1, senderUid: 2, clientMsgId: 'c1', type: 'text', body: 'hello', serverTime: 1 } as const;

// Typed fixtures stop compiling when a schema changes; the first test checks none is missing.
const validClient: { [I in ClientFrameId]: ClientMessageOf<I> } = {
  [MsgId.Ping]: {},
  [MsgId.LoginReq]: { reqId: 1, uid: 7, token: 'tok' },
  [MsgId.SearchUserReq]: { reqId: 2, query: 'bo', offset: 0, limit: 50 },
  [MsgId.FriendRequestReq]: { reqId: 3, toUid: 2, note: 'x'.repeat(200) },
  [MsgId.FriendRequestListReq]: { reqId: 4 },
  [MsgId.FriendReplyReq]: { reqId: 5, requestId: 3, accept: true },
  [MsgId.FriendListReq]: { reqId: 6 },
  [MsgId.FriendDeleteReq]: { reqId: 7, uid: 2 },
  [MsgId.LogoutReq]: { reqId: 24 },
  [MsgId.BlockReq]: { reqId: 25, uid: 2 },
  [MsgId.UnblockReq]: { reqId: 26, uid: 2 },
  [MsgId.BlockListReq]: { reqId: 27 },
  [MsgId.SendReq]: { reqId: 8, to: 2, clientMsgId: 'x'.repeat(64), type: 'text', body: 'a'.repeat(MAX_MESSAGE_BODY_BYTES) },
  [MsgId.DeliveredAck]: { conversationId: 9, seq: 4 },
  [MsgId.SyncReq]: { reqId: 9, have: [{ conversationId: 9, seq: 0 }] },
  [MsgId.PullReq]: { reqId: 10, conversationId: 9, afterSeq: 0, limit: 500 },
  [MsgId.HistoryReq]: { reqId: 0xffffffff, conversationId: 9, beforeSeq: 1, limit: 100 },
  [MsgId.GroupCreateReq]: { reqId: 12, name: 'Team', avatar: 'file:1', members: [2, 3] },
  [MsgId.GroupInviteReq]: { reqId: 13, groupId: 4, uids: [5] },
  [MsgId.GroupApproveReq]: { reqId: 14, groupId: 4, inviteId: 1, approve: true },
  [MsgId.GroupLeaveReq]: { reqId: 15, groupId: 4 },
  [MsgId.GroupRemoveReq]: { reqId: 16, groupId: 4, uid: 5 },
  [MsgId.GroupUpdateReq]: { reqId: 17, groupId: 4, name: 'x'.repeat(64), approvalRequired: true },
  [MsgId.GroupRoleReq]: { reqId: 18, groupId: 4, uid: 5, role: 'admin' },
  [MsgId.GroupTransferReq]: { reqId: 19, groupId: 4, uid: 5 },
  [MsgId.GroupDissolveReq]: { reqId: 20, groupId: 4 },
  [MsgId.GroupListReq]: { reqId: 21 },
  [MsgId.GroupInfoReq]: { reqId: 22, groupId: 4, afterUid: 0, limit: 500 },
  [MsgId.ProfileUpdateReq]: { reqId: 23, nickname: 'Ada', avatar: { fileId: 5 } },
};

const group = { groupId: 4, conversationId: 10, name: 'Team', avatar: '', ownerUid: 7, approvalRequired: false, memberCount: 3, myRole: 'owner' } as const;
const { myRole: _myRole, ...groupSeen } = group;
const invite = { inviteId: 1, groupId: 4, invitee: user, inviter: { ...user, uid: 3 }, createdAt: 5 };

const validServer: { [I in ServerFrameId]: ServerMessageOf<I> } = {
  [MsgId.Error]: { reqId: 1, code: 'NOT_FRIENDS', message: 'no', details: { any: ['thing'] } },
  [MsgId.Pong]: { serverTime: 5 },
  [MsgId.LoginResp]: { reqId: 1, uid: 7, serverId: 'chat-1', serverTime: 5, heartbeatSec: 30 },
  [MsgId.Kick]: { reason: 'logged_in_elsewhere' },
  [MsgId.Reconnect]: { reason: 'shutdown' },
  [MsgId.SearchUserResp]: { reqId: 2, users: [user] },
  [MsgId.FriendRequestResp]: { reqId: 3, requestId: 3 },
  [MsgId.FriendRequestListResp]: { reqId: 4, incoming: [request], outgoing: [] },
  [MsgId.FriendReplyResp]: { reqId: 5, friend },
  [MsgId.FriendListResp]: { reqId: 6, friends: [friend] },
  [MsgId.FriendDeleteResp]: { reqId: 7 },
  [MsgId.LogoutResp]: { reqId: 24 },
  [MsgId.BlockResp]: { reqId: 25 },
  [MsgId.UnblockResp]: { reqId: 26 },
  [MsgId.BlockListResp]: { reqId: 27, blocked: [{ user, blockedAt: 5 }] },
  [MsgId.FriendNotify]: { kind: 'deleted', uid: 2 },
  [MsgId.SendAck]: { reqId: 8, clientMsgId: 'c1', conversationId: 9, seq: 1, serverTime: 5 },
  [MsgId.MessagePush]: chat,
  [MsgId.SyncResp]: { reqId: 9, conversations: [{ conversationId: 9, kind: 'direct', peerUid: 2, maxSeq: 4, ackedSeq: 0 }] },
  [MsgId.PullResp]: { reqId: 10, conversationId: 9, messages: [chat], hasMore: false },
  [MsgId.HistoryResp]: { reqId: 11, conversationId: 9, messages: [chat, { ...chat, seq: 2 }], hasMore: true },
  [MsgId.GroupCreateResp]: { reqId: 12, group },
  [MsgId.GroupInviteResp]: { reqId: 13, added: [5], pending: [6], already: [] },
  [MsgId.GroupApproveResp]: { reqId: 14, added: true },
  [MsgId.GroupLeaveResp]: { reqId: 15 },
  [MsgId.GroupRemoveResp]: { reqId: 16 },
  [MsgId.GroupUpdateResp]: { reqId: 17, group },
  [MsgId.GroupRoleResp]: { reqId: 18 },
  [MsgId.GroupTransferResp]: { reqId: 19 },
  [MsgId.GroupDissolveResp]: { reqId: 20 },
  [MsgId.GroupListResp]: { reqId: 21, groups: [group] },
  [MsgId.GroupInfoResp]: { reqId: 22, group, members: [{ ...user, role: 'admin', joinedAt: 5 }], nextAfterUid: 2, pendingInvites: [invite] },
  [MsgId.GroupNotify]: { kind: 'removed', group: groupSeen, by: 7, reason: 'dissolved' },
  [MsgId.ProfileUpdateResp]: { reqId: 23, user: { ...user, avatar: 'file:5' } },
};

describe('valid messages', () => {
  it('every client and server id has a fixture', () => {
    assert.deepEqual(Object.keys(validClient).sort(), Object.keys(ClientMessageSchemas).sort());
    assert.deepEqual(Object.keys(validServer).sort(), Object.keys(ServerMessageSchemas).sort());
  });

  for (const [id, msg] of Object.entries(validClient)) {
    it(`client ${describeMsgId(Number(id))} round-trips`, () => {
      const decoded = decodeClientMessage(frameOf(Number(id), msg));
      assert.equal(decoded.id, Number(id));
      assert.deepEqual(decoded.msg, msg);
    });
  }

  for (const [id, msg] of Object.entries(validServer)) {
    it(`server ${describeMsgId(Number(id))} round-trips`, () => {
      assert.deepEqual(decodeServerMessage(frameOf(Number(id), msg)).msg, msg);
    });
  }

  it('strips unknown keys instead of rejecting them (forward compatibility)', () => {
    const decoded = decodeClientMessage(frameOf(MsgId.LoginReq, { reqId: 1, uid: 7, token: 't', newField: true }));
    assert.deepEqual(decoded.msg, { reqId: 1, uid: 7, token: 't' });
  });

  it('encodes typed and narrows the decoded message on id', () => {
    const bytes = encodeClientMessage(MsgId.SendReq, { reqId: 1, conversationId: 9, clientMsgId: 'm', type: 'image', body: 'u' });
    const decoded = decodeClientMessage({ id: bytes.readUInt16BE(0), body: bytes.subarray(FRAME_HEADER_BYTES) });
    assert.equal(decoded.id, MsgId.SendReq);
    if (decoded.id === MsgId.SendReq) assert.equal(decoded.msg.conversationId, 9);
  });

  it('counts the body limit in UTF-8 bytes', () => {
    const send = (body: string): Frame => frameOf(MsgId.SendReq, { reqId: 1, to: 2, clientMsgId: 'm', type: 'text', body });
    const threeByte = '€';
    assert.doesNotThrow(() => decodeClientMessage(send(threeByte.repeat(Math.floor(MAX_MESSAGE_BODY_BYTES / 3)))));
    assert.throws(() => decodeClientMessage(send(threeByte.repeat(6000))), { code: 'VALIDATION_FAILED' });
  });

  it('names every id in both directions', () => {
    assert.equal(msgName(MsgId.HistoryResp), 'HistoryResp');
    assert.equal(msgName(999), undefined);
    assert.equal(describeMsgId(999), 'Unknown(999)');
  });
});

interface InvalidCase {
  name: string;
  frame: Frame;
  code: ErrorCode;
  reqId?: number;
  path?: string;
}

const send = { reqId: 21, clientMsgId: 'm1', type: 'text', body: 'hi' };

const invalidCases: InvalidCase[] = [
  { name: 'uid as a string', frame: frameOf(10, { reqId: 7, uid: '7', token: 't' }), code: 'VALIDATION_FAILED', reqId: 7, path: 'uid' },
  { name: 'missing token', frame: frameOf(10, { reqId: 7, uid: 7 }), code: 'VALIDATION_FAILED', reqId: 7, path: 'token' },
  { name: 'uid 0', frame: frameOf(10, { reqId: 1, uid: 0, token: 't' }), code: 'VALIDATION_FAILED', reqId: 1, path: 'uid' },
  { name: 'fractional uid', frame: frameOf(10, { reqId: 1, uid: 1.5, token: 't' }), code: 'VALIDATION_FAILED', reqId: 1, path: 'uid' },
  { name: 'uid beyond safe integers', frame: frameOf(10, { reqId: 1, uid: 2 ** 53, token: 't' }), code: 'VALIDATION_FAILED', reqId: 1, path: 'uid' },
  { name: 'negative reqId', frame: frameOf(28, { reqId: -1 }), code: 'VALIDATION_FAILED', path: 'reqId' },
  { name: 'reqId above uint32', frame: frameOf(28, { reqId: 2 ** 32 }), code: 'VALIDATION_FAILED', path: 'reqId' },
  { name: 'missing reqId', frame: frameOf(28, {}), code: 'VALIDATION_FAILED', path: 'reqId' },
  { name: 'body is an array', frame: frameOf(10, [1, 2]), code: 'VALIDATION_FAILED' },
  { name: 'body is null', frame: frameOf(2, null), code: 'VALIDATION_FAILED' },
  { name: 'both to and conversationId', frame: frameOf(40, { ...send, to: 2, conversationId: 9 }), code: 'VALIDATION_FAILED', reqId: 21, path: 'to' },
  { name: 'neither to nor conversationId', frame: frameOf(40, send), code: 'VALIDATION_FAILED', reqId: 21, path: 'to' },
  { name: 'oversized body', frame: frameOf(40, { ...send, to: 2, body: 'a'.repeat(MAX_MESSAGE_BODY_BYTES + 1) }), code: 'VALIDATION_FAILED', reqId: 21, path: 'body' },
  { name: 'empty clientMsgId', frame: frameOf(40, { ...send, to: 2, clientMsgId: '' }), code: 'VALIDATION_FAILED', reqId: 21, path: 'clientMsgId' },
  { name: 'clientMsgId with a space', frame: frameOf(40, { ...send, to: 2, clientMsgId: 'a b' }), code: 'VALIDATION_FAILED', reqId: 21, path: 'clientMsgId' },
  { name: 'clientMsgId beyond ASCII', frame: frameOf(40, { ...send, to: 2, clientMsgId: 'idé' }), code: 'VALIDATION_FAILED', reqId: 21, path: 'clientMsgId' },
  { name: '65-char clientMsgId', frame: frameOf(40, { ...send, to: 2, clientMsgId: 'x'.repeat(65) }), code: 'VALIDATION_FAILED', reqId: 21, path: 'clientMsgId' },
  { name: 'unknown message type', frame: frameOf(40, { ...send, to: 2, type: 'video' }), code: 'VALIDATION_FAILED', reqId: 21, path: 'type' },
  { name: 'empty search query', frame: frameOf(20, { reqId: 3, query: '' }), code: 'VALIDATION_FAILED', reqId: 3, path: 'query' },
  { name: 'search limit 51', frame: frameOf(20, { reqId: 3, query: 'a', limit: 51 }), code: 'VALIDATION_FAILED', reqId: 3, path: 'limit' },
  { name: 'note over 200 chars', frame: frameOf(22, { reqId: 4, toUid: 2, note: 'n'.repeat(201) }), code: 'VALIDATION_FAILED', reqId: 4, path: 'note' },
  { name: 'accept as a string', frame: frameOf(26, { reqId: 4, requestId: 1, accept: 'yes' }), code: 'VALIDATION_FAILED', reqId: 4, path: 'accept' },
  { name: 'pull limit 501', frame: frameOf(46, { reqId: 5, conversationId: 9, afterSeq: 0, limit: 501 }), code: 'VALIDATION_FAILED', reqId: 5, path: 'limit' },
  { name: 'negative afterSeq', frame: frameOf(46, { reqId: 5, conversationId: 9, afterSeq: -1 }), code: 'VALIDATION_FAILED', reqId: 5, path: 'afterSeq' },
  { name: 'history beforeSeq 0', frame: frameOf(48, { reqId: 6, conversationId: 9, beforeSeq: 0 }), code: 'VALIDATION_FAILED', reqId: 6, path: 'beforeSeq' },
  { name: 'bad cursor in sync', frame: frameOf(44, { reqId: 8, have: [{ conversationId: 9, seq: 'x' }] }), code: 'VALIDATION_FAILED', reqId: 8, path: 'have.0.seq' },
  { name: 'unknown id', frame: frameOf(999, {}), code: 'UNKNOWN_MESSAGE' },
  { name: 'server-only id from a client', frame: frameOf(MsgId.LoginResp, validServer[MsgId.LoginResp]), code: 'UNKNOWN_MESSAGE' },
  { name: 'malformed JSON', frame: { id: 10, body: Buffer.from('{"reqId":1,') }, code: 'MALFORMED_FRAME' },
  {
    name: 'invalid UTF-8 inside otherwise valid JSON',
    frame: { id: 10, body: Buffer.concat([Buffer.from('{"reqId":1,"uid":7,"token":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]) },
    code: 'MALFORMED_FRAME',
  },
  { name: 'empty Ping body', frame: { id: 2, body: Buffer.alloc(0) }, code: 'MALFORMED_FRAME' },
];

describe('invalid client messages', () => {
  for (const c of invalidCases) {
    it(`${c.name} → ${c.code}`, () => {
      assert.throws(
        () => decodeClientMessage(c.frame),
        (err: unknown) => {
          assert.ok(err instanceof ProtocolError, String(err));
          assert.equal(err.code, c.code);
          assert.equal(err.reqId, c.reqId);
          if (c.path !== undefined) {
            assert.ok(err instanceof ValidationError);
            assert.ok(err.issues.some((i) => i.path === c.path), JSON.stringify(err.issues));
          }
          return true;
        },
      );
    });
  }

  it('reports at most 10 issues and an Error body that answers the request', () => {
    const have = Array.from({ length: 40 }, () => ({ conversationId: 0, seq: -1 }));
    const err = captureError(() => decodeClientMessage(frameOf(MsgId.SyncReq, { reqId: 12, have })));
    assert.ok(err instanceof ValidationError);
    assert.equal(err.issues.length, 10);
    assert.deepEqual(err.issues[0], { path: 'have.0.conversationId', message: err.issues[0]?.message });
    assert.deepEqual(err.toErrorBody(), { reqId: 12, code: 'VALIDATION_FAILED', message: err.message, details: err.issues });
  });

  it('rejects an Error frame with a code outside the table', () => {
    assert.throws(() => decodeServerMessage(frameOf(1, { code: 'NOPE', message: 'x' })), { code: 'VALIDATION_FAILED' });
  });

  it('accepts frames built by encodeFrame and encodeFrameRaw alike', () => {
    const a = encodeFrame(28, { reqId: 1 });
    const b = encodeFrameRaw(28, Buffer.from('{"reqId":1}'));
    assert.deepEqual(a, b);
  });
});

function captureError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  assert.fail('expected an error');
}

describe('group messages', () => {
  it('trims a group name and refuses empty, over-long and format-character names', () => {
    const create = (name: string): Frame => frameOf(MsgId.GroupCreateReq, { reqId: 1, name });
    const ok = decodeClientMessage(create('  Team  '));
    assert.equal(ok.id === MsgId.GroupCreateReq && ok.msg.name, 'Team');
    assert.deepEqual(ok.id === MsgId.GroupCreateReq && ok.msg.members, []);
    for (const bad of ['', '   ', 'x'.repeat(65), 'a\u202Eb', 'zero\u200Bwidth', 'tab\there']) {
      assert.throws(() => decodeClientMessage(create(bad)), { code: 'VALIDATION_FAILED' }, JSON.stringify(bad));
    }
  });

  it('needs at least one change in GroupUpdateReq and at least one uid in GroupInviteReq', () => {
    assert.throws(() => decodeClientMessage(frameOf(MsgId.GroupUpdateReq, { reqId: 1, groupId: 4 })), { code: 'VALIDATION_FAILED' });
    assert.throws(() => decodeClientMessage(frameOf(MsgId.GroupInviteReq, { reqId: 1, groupId: 4, uids: [] })), { code: 'VALIDATION_FAILED' });
  });
});

describe('profile messages', () => {
  it('needs a change, trims the nickname, and takes avatar null to remove the avatar', () => {
    const update = (body: object): Frame => frameOf(MsgId.ProfileUpdateReq, { reqId: 1, ...body });
    assert.throws(() => decodeClientMessage(update({})), { code: 'VALIDATION_FAILED' });
    const trimmed = decodeClientMessage(update({ nickname: '  Ada  ' }));
    assert.equal(trimmed.id === MsgId.ProfileUpdateReq && trimmed.msg.nickname, 'Ada');
    const cleared = decodeClientMessage(update({ avatar: null }));
    assert.equal(cleared.id === MsgId.ProfileUpdateReq && cleared.msg.avatar, null);
    for (const bad of [{ nickname: '' }, { nickname: 'x'.repeat(65) }, { nickname: 'a\u202Eb' }, { avatar: { fileId: 0 } }, { avatar: 'file:5' }]) {
      assert.throws(() => decodeClientMessage(update(bad)), { code: 'VALIDATION_FAILED' }, JSON.stringify(bad));
    }
  });
});

describe('peekReqId', () => {
  const frame = (body: string) => ({ id: MsgId.SendReq, body: Buffer.from(body) });
  it('reads the reqId of a request without validating the rest', () => {
    assert.equal(peekReqId(frame('{"reqId":42,"to":"not a number"}')), 42);
    assert.equal(peekReqId({ id: MsgId.SendReq, body: encodeFrame(MsgId.SendReq, { reqId: 7, to: 2, clientMsgId: 'c', type: 'text', body: 'hi' }).subarray(6) }), 7);
  });
  it('gives undefined for bodies that are not JSON or have no usable reqId', () => {
    for (const body of ['', 'not json', '[1]', '{"reqId":-1}', '{"reqId":1.5}', '{"reqId":"3"}', '{}', '\u00ff'])
      assert.equal(peekReqId(frame(body)), undefined, body);
  });
});
