import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createLogger, type ParleyConfig, type RunningServer } from '@parley/common';
import { createTestEnv, type TestEnv } from '@parley/common/testing';
import { encodeFrame, MsgId } from '@parley/protocol';
import { startChatServer } from '../src/index';
import { DeliveredAckWriter } from '../src/messaging/delivered-ack-writer';
import { ConnectionRateLimits, type RateLimitConfig } from '../src/session/connection-rate-limits';
import { TokenBucket } from '../src/session/token-bucket';
import { createGroup, userWithToken } from './support/fixtures';
import { codeOf, rawRequest } from './support/raw-requests';
import { RawSocket } from './support/raw-socket';

// Issue 11 item 8: token buckets per connection and kind of frame, and a bounded ack map.
const LIMITS: RateLimitConfig = {
  sendRatePerSec: 1,
  sendBurst: 3,
  requestRatePerSec: 1,
  requestBurst: 4,
  searchLimitPerMinute: 1,
  searchBurst: 2,
  pingRatePerSec: 1,
  pingBurst: 2,
  ackRatePerSec: 1,
  ackBurst: 2,
  abuseLimit: 20,
};

describe('token buckets', () => {
  it('gives the burst at once, then refills at the rate, and says when the next token comes', () => {
    const bucket = new TokenBucket(2, 3, 0);
    assert.deepEqual([bucket.take(0), bucket.take(0), bucket.take(0), bucket.take(0)], [true, true, true, false]);
    assert.equal(bucket.retryAfterSec(0), 1);
    assert.equal(bucket.take(499), false, 'not quite one token after 499 ms at 2/s');
    assert.equal(bucket.take(500), true);
    assert.equal(bucket.take(10_000) && bucket.take(10_000) && bucket.take(10_000), true, 'refills up to the burst');
    assert.equal(bucket.take(10_000), false, 'never beyond the burst');
  });

  it('keeps kinds apart, counts a search as a request too, and turns sustained refusals into abuse', () => {
    const limits = new ConnectionRateLimits(LIMITS);
    for (let i = 0; i < 3; i++) assert.equal(limits.check('send', 0).kind, 'ok');
    const refused = limits.check('send', 0);
    assert.equal(refused.kind, 'limited');
    assert.equal(refused.kind === 'limited' && refused.retryAfterSec, 1);
    assert.equal(limits.check('ping', 0).kind, 'ok', 'sends do not use up pings');
    assert.equal(limits.check('search', 0).kind, 'ok');
    assert.equal(limits.check('search', 0).kind, 'ok');
    const search = limits.check('search', 0);
    assert.equal(search.kind === 'limited' && search.retryAfterSec, 60, 'a search every 60 s at 1/min');
    assert.equal(limits.check('request', 0).kind, 'ok');
    assert.equal(limits.check('request', 0).kind, 'ok');
    assert.equal(limits.check('request', 0).kind, 'limited', 'the two searches took two of the four requests');
    let verdict = limits.check('ack', 0);
    for (let i = 0; i < 40 && verdict.kind !== 'abuse'; i++) verdict = limits.check('ack', 0);
    assert.equal(verdict.kind, 'abuse');
    assert.ok(limits.refused > LIMITS.abuseLimit);
  });
});

describe('rate limits on a chat connection', () => {
  let env: TestEnv;
  let server: RunningServer;
  let conversationIds: number[];

  before(async () => {
    env = await createTestEnv();
    const config: ParleyConfig = { ...env.config, chat: { ...env.config.chat, ...LIMITS } };
    server = await startChatServer({ config, logger: createLogger({ kind: 'chat', id: 'chat1', level: 'silent' }), id: 'chat1' });
  });

  after(async () => {
    await server?.stop();
    await env?.cleanup();
  });

  async function loggedIn(): Promise<{ raw: RawSocket; uid: number }> {
    const user = await userWithToken(env.pool, env.redis);
    const raw = await RawSocket.open(server.ready.tcpPort as number);
    assert.equal((await raw.login(user.uid, user.token)).id, MsgId.LoginResp);
    return { raw, uid: user.uid };
  }

  it('answers requests beyond the burst RATE_LIMITED with retryAfterSec, and keeps the connection', async () => {
    const { raw } = await loggedIn();
    const answers = await Promise.all(Array.from({ length: 6 }, () => rawRequest(raw, MsgId.FriendListReq, {})));
    const codes = answers.map(codeOf);
    assert.equal(codes.filter((c) => c === `id ${MsgId.FriendListResp}`).length, 4);
    const limited = answers.filter((a) => a.id === MsgId.Error);
    assert.equal(limited.length, 2);
    for (const a of limited) {
      assert.equal(codeOf(a), 'RATE_LIMITED');
      assert.deepEqual(a.id === MsgId.Error && a.msg.details, { retryAfterSec: 1 });
    }
    await new Promise((r) => setTimeout(r, 1100));
    assert.equal((await rawRequest(raw, MsgId.FriendListReq, {})).id, MsgId.FriendListResp, 'a token is back after a second');
    assert.equal(raw.isClosed, false);
    raw.destroy();
  });

  it('limits searches on their own, and refuses a search offset past the cap', async () => {
    const { raw } = await loggedIn();
    const answers = await Promise.all(Array.from({ length: 3 }, () => rawRequest(raw, MsgId.SearchUserReq, { query: 'nobody-here' })));
    assert.deepEqual(answers.map(codeOf), [`id ${MsgId.SearchUserResp}`, `id ${MsgId.SearchUserResp}`, 'RATE_LIMITED']);
    const deep = await rawRequest(raw, MsgId.SearchUserReq, { query: 'a', offset: 201 });
    assert.equal(codeOf(deep), 'VALIDATION_FAILED');
    raw.destroy();
  });

  it('drops Pings beyond the burst without an answer, and closes a connection that keeps on', async () => {
    const { raw } = await loggedIn();
    const before = raw.frames.length;
    for (let i = 0; i < 5; i++) raw.write(encodeFrame(MsgId.Ping, {}));
    assert.equal((await rawRequest(raw, MsgId.FriendListReq, {})).id, MsgId.FriendListResp);
    const pongs = raw.frames.slice(before).filter((f) => f.id === MsgId.Pong).length;
    assert.equal(pongs, 2, 'two Pongs (the burst); three Pings dropped');
    assert.equal(raw.isClosed, false);
    const flood = Buffer.concat(Array.from({ length: 40 }, () => encodeFrame(MsgId.Ping, {})));
    raw.write(flood);
    assert.equal(await raw.closedWith(), 'RATE_LIMITED');
  });

  it('keeps at most max_pending_acks_per_user conversations of unwritten acks per user', async () => {
    conversationIds = [];
    const user = await userWithToken(env.pool, env.redis);
    for (let i = 0; i < 4; i++) conversationIds.push(await createGroup(env.pool, [user.uid]));
    const writer = new DeliveredAckWriter({ pool: env.pool, logger: env.logger, intervalMs: 60_000, maxPerUser: 3 });
    try {
      const accepted = conversationIds.map((c) => writer.record(user.uid, c, 1));
      assert.deepEqual(accepted, [true, true, true, false]);
      assert.equal(writer.record(user.uid, conversationIds[0]!, 2), true, 'a conversation already waiting still moves forward');
      assert.equal(writer.record(user.uid + 1, conversationIds[3]!, 1), true, 'other users have their own share');
      assert.equal(writer.size, 4);
      await writer.flush();
      assert.equal(writer.record(user.uid, conversationIds[3]!, 1), true, 'written acks free the share');
    } finally {
      await writer.close();
    }
  });
});
