import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createLogger, issueToken, RedisKeys, validateToken, type ParleyConfig, type RunningServer } from '@parley/common';
import { createTestEnv, type TestEnv } from '@parley/common/testing';
import { MsgId } from '@parley/protocol';
import { startChatServer } from '../src/index';
import { befriend, userWithToken } from './support/fixtures';
import { codeOf, rawRequest } from './support/raw-requests';
import { RawSocket } from './support/raw-socket';

// Issue 11 items 3 and 9: logout on the chat connection; blocking; the cooldown after a decline.
let env: TestEnv;
let server: RunningServer;
const COOLDOWN_SEC = 3600;

before(async () => {
  env = await createTestEnv();
  const config: ParleyConfig = { ...env.config, chat: { ...env.config.chat, friendRequestCooldownSec: COOLDOWN_SEC } };
  server = await startChatServer({ config, logger: createLogger({ kind: 'chat', id: 'chat1', level: 'silent' }), id: 'chat1' });
});

after(async () => {
  await server?.stop();
  await env?.cleanup();
});

async function connect(uid: number, token: string): Promise<RawSocket> {
  const raw = await RawSocket.open(server.ready.tcpPort as number);
  assert.equal((await raw.login(uid, token)).id, MsgId.LoginResp);
  return raw;
}

async function session(): Promise<{ uid: number; token: string; raw: RawSocket }> {
  const user = await userWithToken(env.pool, env.redis);
  return { ...user, raw: await connect(user.uid, user.token) };
}

describe('LogoutReq', () => {
  it('answers LogoutResp, kicks with logged_out, and the token no longer logs in', async () => {
    const { uid, token, raw } = await session();
    const answer = await rawRequest(raw, MsgId.LogoutReq, {});
    assert.equal(answer.id, MsgId.LogoutResp);
    await raw.closed;
    const kick = raw.frames.at(-1);
    assert.equal(kick?.id, MsgId.Kick);
    assert.equal(kick?.id === MsgId.Kick && kick.msg.reason, 'logged_out');
    assert.equal(await env.redis.exists(RedisKeys.token(uid)), 0, 'the token is gone from Redis');
    const again = await RawSocket.open(server.ready.tcpPort as number);
    const refused = await again.login(uid, token);
    assert.equal(codeOf(refused), 'TOKEN_INVALID');
  });

  it('leaves alone a token issued after the session logged in', async () => {
    const { uid, raw } = await session();
    const newer = await issueToken(env.redis, uid, 600);
    assert.equal((await rawRequest(raw, MsgId.LogoutReq, {})).id, MsgId.LogoutResp);
    await raw.closed;
    assert.equal(await validateToken(env.redis, uid, newer), true);
  });
});

describe('blocking', () => {
  it('unfriends, refuses the blocked user requests and messages (BLOCKED), lists and unblocks', async () => {
    const a = await session();
    const b = await session();
    const conversationId = await befriend(env.pool, a.uid, b.uid);
    // Before: b sees a as a friend and may message.
    assert.equal((await rawRequest(b.raw, MsgId.SendReq, { to: a.uid, clientMsgId: 'before', type: 'text', body: 'hi' })).id, MsgId.SendAck);

    assert.equal((await rawRequest(a.raw, MsgId.BlockReq, { uid: b.uid })).id, MsgId.BlockResp);
    assert.equal((await rawRequest(a.raw, MsgId.BlockReq, { uid: b.uid })).id, MsgId.BlockResp, 'blocking again is harmless');
    const list = await rawRequest(a.raw, MsgId.BlockListReq, {});
    assert.deepEqual(list.id === MsgId.BlockListResp && list.msg.blocked.map((x) => x.user.uid), [b.uid]);

    // b no longer has a as a friend (so never sees a's online state) and was told as for an unfriend.
    const friends = await rawRequest(b.raw, MsgId.FriendListReq, {});
    assert.deepEqual(friends.id === MsgId.FriendListResp && friends.msg.friends, []);
    assert.ok(b.raw.frames.some((f) => f.id === MsgId.FriendNotify && f.msg.kind === 'deleted' && f.msg.uid === a.uid));

    for (const body of [{ to: a.uid }, { conversationId }]) {
      const sent = await rawRequest(b.raw, MsgId.SendReq, { ...body, clientMsgId: `after-${Object.keys(body)[0]}`, type: 'text', body: 'hello?' });
      assert.equal(codeOf(sent), 'BLOCKED');
    }
    assert.equal(codeOf(await rawRequest(b.raw, MsgId.FriendRequestReq, { toUid: a.uid })), 'BLOCKED');
    assert.equal(codeOf(await rawRequest(a.raw, MsgId.FriendRequestReq, { toUid: b.uid })), 'BLOCKED', 'the blocker must unblock first');
    assert.equal(codeOf(await rawRequest(a.raw, MsgId.SendReq, { to: b.uid, clientMsgId: 'blocker', type: 'text', body: 'x' })), 'BLOCKED');
    const [rows] = await env.pool.query('SELECT COUNT(*) AS n FROM messages WHERE conversation_id = ?', [conversationId]);
    assert.equal(Number((rows as { n: number }[])[0]?.n), 1, 'only the message from before the block is stored');

    assert.equal(codeOf(await rawRequest(a.raw, MsgId.BlockReq, { uid: a.uid })), 'VALIDATION_FAILED');
    assert.equal((await rawRequest(a.raw, MsgId.UnblockReq, { uid: b.uid })).id, MsgId.UnblockResp);
    const empty = await rawRequest(a.raw, MsgId.BlockListReq, {});
    assert.deepEqual(empty.id === MsgId.BlockListResp && empty.msg.blocked, []);
    assert.equal((await rawRequest(b.raw, MsgId.FriendRequestReq, { toUid: a.uid })).id, MsgId.FriendRequestResp, 'after unblocking b may ask again');
    a.raw.destroy();
    b.raw.destroy();
  });

  it('refuses a direct message inside the storing transaction when a block committed after the send was authorized', async () => {
    const a = await session();
    const b = await session();
    const conversationId = await befriend(env.pool, a.uid, b.uid);
    // The first send makes the server remember the target: the next one takes the fast path (no reads).
    assert.equal((await rawRequest(b.raw, MsgId.SendReq, { to: a.uid, clientMsgId: 'fast-1', type: 'text', body: 'one' })).id, MsgId.SendAck);
    // a blocks b: the server still remembers b's target, so only the write's post_epoch check
    // (raised by the block) can stop the next message.
    assert.equal((await rawRequest(a.raw, MsgId.BlockReq, { uid: b.uid })).id, MsgId.BlockResp);
    assert.equal(codeOf(await rawRequest(b.raw, MsgId.SendReq, { to: a.uid, clientMsgId: 'fast-2', type: 'text', body: 'two' })), 'BLOCKED');
    assert.equal(codeOf(await rawRequest(b.raw, MsgId.SendReq, { conversationId, clientMsgId: 'fast-3', type: 'text', body: 'three' })), 'BLOCKED');
    const [rows] = await env.pool.query('SELECT client_msg_id FROM messages WHERE conversation_id = ?', [conversationId]);
    assert.deepEqual((rows as { client_msg_id: string }[]).map((r) => r.client_msg_id), ['fast-1']);
    a.raw.destroy();
    b.raw.destroy();
  });

  it('declines pending requests between the two when blocking', async () => {
    const a = await session();
    const b = await session();
    assert.equal((await rawRequest(b.raw, MsgId.FriendRequestReq, { toUid: a.uid })).id, MsgId.FriendRequestResp);
    assert.equal((await rawRequest(a.raw, MsgId.BlockReq, { uid: b.uid })).id, MsgId.BlockResp);
    const listed = await rawRequest(a.raw, MsgId.FriendRequestListReq, {});
    assert.deepEqual(listed.id === MsgId.FriendRequestListResp && listed.msg.incoming.map((r) => r.status), ['declined']);
    a.raw.destroy();
    b.raw.destroy();
  });
});

describe('friend request cooldown', () => {
  it('refuses asking the same user again right after a decline with REQUEST_COOLDOWN and retryAfterSec', async () => {
    const a = await session();
    const b = await session();
    const sent = await rawRequest(a.raw, MsgId.FriendRequestReq, { toUid: b.uid });
    assert.equal(sent.id, MsgId.FriendRequestResp);
    const requestId = sent.id === MsgId.FriendRequestResp ? sent.msg.requestId : 0;
    assert.equal((await rawRequest(b.raw, MsgId.FriendReplyReq, { requestId, accept: false })).id, MsgId.FriendReplyResp);
    const again = await rawRequest(a.raw, MsgId.FriendRequestReq, { toUid: b.uid });
    assert.equal(codeOf(again), 'REQUEST_COOLDOWN');
    const retry = again.id === MsgId.Error ? (again.msg.details as { retryAfterSec: number }).retryAfterSec : 0;
    assert.ok(retry > COOLDOWN_SEC - 60 && retry <= COOLDOWN_SEC, `retryAfterSec ${retry}`);
    // The other direction is not cooled down: b may still ask a.
    assert.equal((await rawRequest(b.raw, MsgId.FriendRequestReq, { toUid: a.uid })).id, MsgId.FriendRequestResp);
    // Once the cooldown has passed (the decline aged by hand), a may ask again.
    await env.pool.query('UPDATE friend_requests SET updated_at = updated_at - INTERVAL 2 HOUR WHERE id = ?', [requestId]);
    assert.equal((await rawRequest(a.raw, MsgId.FriendRequestReq, { toUid: b.uid })).id, MsgId.FriendRequestResp);
    a.raw.destroy();
    b.raw.destroy();
  });
});
