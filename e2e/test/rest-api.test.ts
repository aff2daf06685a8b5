import { parseRecord, RedisKeys } from '@parley/common';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RowDataPacket } from 'mysql2/promise';
import { extractCode, freePort } from '@parley/common/testing';
import { MsgId, type ChatMessage } from '@parley/protocol';
import { bearer, Cluster, getJson, postJson, requestJson, type HttpResult } from '../src/index';
import { befriend, createUser, login, newToken, waitFor, type TestUser } from './support/chat-fixtures';

// The bearer-token REST API through real processes: gate → ChatApi on two chat servers, with the
// same answers as the TCP path, pushes to TCP sessions, the per-token limit and failover.
const API_LIMIT = 40;
let cluster: Cluster;

before(async () => {
  cluster = await Cluster.start({
    chatServers: 2,
    // debug: the chat servers log each ChatApi call, so a test can tell which server answered.
    sections: { cluster: { log_level: 'debug' }, gate: { api_limit_per_minute: API_LIMIT }, verify: { resend_interval_sec: 0 } },
  });
  // REST calls go to servers the registry holds; wait until both chat servers have reported.
  await eventually(async () => (await cluster.env.redis.hlen(RedisKeys.chatServers)) === 2, 'both chat servers registered');
});

after(async () => {
  await cluster?.stop();
});

const chat1 = () => cluster.chatEndpoint('chat1');
const chat2 = () => cluster.chatEndpoint('chat2');
const get = (user: TestUser, path: string) => getJson(cluster.gateUrl, path, bearer(user.uid, user.token));
const post = (user: TestUser, path: string, body: unknown) => postJson(cluster.gateUrl, path, body, bearer(user.uid, user.token));

/** Polls an async condition (waitFor takes synchronous ones). */
async function eventually(check: () => Promise<boolean>, what: string, timeoutMs = 10000): Promise<void> {
  for (const until = Date.now() + timeoutMs; !(await check()); ) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function expectError(res: HttpResult, status: number, code: string): { code: string; message: string; details?: unknown } {
  assert.equal(res.status, status, `expected ${status} ${code}, got ${res.status}: ${JSON.stringify(res.body)}`);
  const error = (res.body as { error?: { code: string; message: string; details?: unknown } }).error;
  assert.ok(error, JSON.stringify(res.body));
  assert.equal(error.code, code, JSON.stringify(error));
  return error;
}

function fields(error: { details?: unknown }): string[] {
  return [...new Set((error.details as { field: string }[]).map((d) => d.field))];
}

async function friends(): Promise<{ a: TestUser; b: TestUser; conv: number }> {
  const [a, b] = [await createUser(cluster), await createUser(cluster)];
  return { a, b, conv: await befriend(cluster, a.uid, b.uid) };
}

async function send(user: TestUser, conv: number, clientMsgId: string, body: string): Promise<{ seq: number; conversationId: number; clientMsgId: string; serverTime: number }> {
  const res = await post(user, `/api/conversations/${conv}/messages`, { clientMsgId, type: 'text', body });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body as { seq: number; conversationId: number; clientMsgId: string; serverTime: number };
}

describe('REST API: authentication', () => {
  it('answers 401 UNAUTHENTICATED without a well-formed Bearer header, before reading the body', async () => {
    const user = await createUser(cluster);
    const headers: Record<string, string>[] = [
      {},
      { authorization: '' },
      { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` },
      { authorization: `Bearer ${user.token}` },
      { authorization: `Bearer ${user.uid}` },
      { authorization: `Bearer ${user.uid}.` },
      { authorization: `Bearer 0.${user.token}` },
      { authorization: `Bearer -${user.uid}.${user.token}` },
      { authorization: `Bearer 99999999999999999.${user.token}` },
      { authorization: `Bearer ${user.uid}.${user.token}.x` },
    ];
    for (const h of headers) {
      const res = await getJson(cluster.gateUrl, '/api/conversations', h);
      expectError(res, 401, 'UNAUTHENTICATED');
      assert.equal(res.headers.get('www-authenticate'), 'Bearer realm="parley"');
    }
    // Authentication comes first: not even a broken body is looked at.
    expectError(await postJson(cluster.gateUrl, '/api/groups', '{"name": '), 401, 'UNAUTHENTICATED');
    expectError(await requestJson('POST', cluster.gateUrl, '/api/conversations/1/messages', 'x', { 'content-type': 'text/plain' }), 401, 'UNAUTHENTICATED');
    // The scheme is case-insensitive.
    assert.equal((await getJson(cluster.gateUrl, '/api/conversations', { authorization: `bearer ${user.uid}.${user.token}` })).status, 200);
  });

  it('answers 401 TOKEN_INVALID for a wrong, replaced, expired or misplaced token', async () => {
    const [a, b] = [await createUser(cluster), await createUser(cluster)];
    const wrong = `${a.token.slice(0, -1)}${a.token.endsWith('A') ? 'B' : 'A'}`;
    for (const [uid, token] of [
      [a.uid, wrong],
      [a.uid, b.token],
      [b.uid, a.token],
      [a.uid, 'short'],
      [a.uid + 100000, a.token],
    ] as const) {
      const res = await getJson(cluster.gateUrl, '/api/conversations', bearer(uid, token));
      expectError(res, 401, 'TOKEN_INVALID');
      assert.equal(res.headers.get('www-authenticate'), 'Bearer realm="parley", error="invalid_token"');
    }
    // A new login replaces the token: the old one stops working at once.
    const replaced = await newToken(cluster, b.uid);
    expectError(await get(b, '/api/conversations'), 401, 'TOKEN_INVALID');
    assert.equal((await get({ uid: b.uid, token: replaced }, '/api/conversations')).status, 200);
    // An expired token is gone from Redis, like any other.
    await cluster.env.redis.pexpire(`token:${a.uid}`, 1);
    await new Promise((r) => setTimeout(r, 20));
    expectError(await get(a, '/api/conversations'), 401, 'TOKEN_INVALID');
  });

  it('takes the uid and token from POST /api/login', async () => {
    const name = `rest${Date.now().toString(36).slice(-6)}`;
    const email = `${name}@mail.example.test`;
    const password = 'rest-Api-Pass-7';
    const since = cluster.smtp.messages.length;
    assert.equal((await postJson(cluster.gateUrl, '/api/verify-code', { email, purpose: 'register' })).status, 200);
    const code = extractCode((await cluster.smtp.waitForMail(email, 10000, since)).raw);
    assert.equal((await postJson(cluster.gateUrl, '/api/register', { email, code, name, password })).status, 201);
    const session = await postJson<{ uid: number; token: string }>(cluster.gateUrl, '/api/login', { account: name, password });
    assert.equal(session.status, 200, JSON.stringify(session.body));
    const res = await get(session.body, '/api/conversations');
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(res.body, { conversations: [] });
  });

  it(`limits each token to gate.api_limit_per_minute (${API_LIMIT}): 429 RATE_LIMITED with Retry-After`, async () => {
    const [a, b] = [await createUser(cluster), await createUser(cluster)];
    const answers = await Promise.all(Array.from({ length: API_LIMIT }, () => get(a, '/api/conversations')));
    assert.deepEqual(new Set(answers.map((r) => r.status)), new Set([200]));
    const refused = await get(a, '/api/conversations');
    const error = expectError(refused, 429, 'RATE_LIMITED');
    const retryAfter = Number(refused.headers.get('retry-after'));
    assert.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After ${retryAfter}`);
    assert.deepEqual(error.details, { retryAfterSec: retryAfter });
    // Refused requests are not counted, other tokens are not affected, and the limit is per token.
    expectError(await get(a, '/api/conversations'), 429, 'RATE_LIMITED');
    assert.equal((await get(b, '/api/conversations')).status, 200);
    const fresh = { uid: a.uid, token: await newToken(cluster, a.uid) };
    assert.equal((await get(fresh, '/api/conversations')).status, 200);
    // The raw token never appears in a Redis key.
    const keys = await cluster.env.redis.keys(`${cluster.env.redisPrefix}gate:api:${a.uid}:*`);
    assert.equal(keys.length, 2);
    assert.ok(keys.every((k) => !k.includes(a.token) && !k.includes(fresh.token)));
  });
});

describe('REST API: conversations and messages', () => {
  it('lists my conversations with unread counts', async () => {
    const { a, b, conv } = await friends();
    for (let i = 1; i <= 3; i++) await send(a, conv, `u-${i}`, `m${i}`);
    const listed = await get(b, '/api/conversations');
    assert.equal(listed.status, 200);
    assert.deepEqual(listed.body, { conversations: [{ conversationId: conv, kind: 'direct', peerUid: a.uid, maxSeq: 3, ackedSeq: 0, unread: 3 }] });
    const mine = await get(a, '/api/conversations');
    assert.deepEqual(mine.body, { conversations: [{ conversationId: conv, kind: 'direct', peerUid: b.uid, maxSeq: 3, ackedSeq: 0, unread: 3 }] });
    // A DeliveredAck from B's TCP session lowers the count (acks are written in batches).
    const tcp = await login(chat2(), b);
    tcp.ackDelivered(conv, 2);
    await eventually(async () => {
      const res = await get(b, '/api/conversations');
      return (res.body as { conversations: { unread: number }[] }).conversations[0]?.unread === 1;
    }, 'unread 1');
    await tcp.close();
  });

  it('delivers a POSTed message to the recipient on the other chat server, once, after the commit; a repeat returns the same seq', async () => {
    const { a, b, conv } = await friends();
    const sender = await login(chat1(), a); // a's route is on chat1, so the gate calls chat1
    const receiver = await login(chat2(), b);
    const pushes: ChatMessage[] = [];
    receiver.on('push', (id, msg) => {
      if (id === MsgId.MessagePush) pushes.push(msg as ChatMessage);
    });
    const first = await send(a, conv, 'idem-1', 'hello over REST');
    assert.deepEqual({ ...first, serverTime: 0 }, { clientMsgId: 'idem-1', conversationId: conv, seq: 1, serverTime: 0 });
    const [rows] = await cluster.env.pool.query<RowDataPacket[]>('SELECT seq, body FROM messages WHERE conversation_id = ?', [conv]);
    assert.deepEqual(rows.map((r) => [Number(r.seq), String(r.body)]), [[1, 'hello over REST']], 'answered means stored');
    const push = await waitFor(() => pushes[0], 5000, 'MessagePush on chat2');
    assert.deepEqual(push, { conversationId: conv, seq: 1, senderUid: a.uid, clientMsgId: 'idem-1', type: 'text', body: 'hello over REST', serverTime: first.serverTime });
    const served = (name: string) => cluster.processes.get(name)?.logs.filter((l) => l.msg === 'api call' && l.uid === a.uid && l.msgId === MsgId.SendReq).length ?? 0;
    assert.deepEqual([served('chat1'), served('chat2')], [1, 0], 'the call went to the sender’s own server');

    // The same clientMsgId again (a client that lost the answer): the same seq, nothing stored twice.
    const again = await send(a, conv, 'idem-1', 'hello over REST (resent)');
    assert.deepEqual(again, first);
    const [count] = await cluster.env.pool.query<RowDataPacket[]>('SELECT COUNT(*) AS n FROM messages WHERE sender_uid = ? AND client_msg_id = ?', [a.uid, 'idem-1']);
    assert.equal(Number(count[0]?.n), 1);
    const next = await send(a, conv, 'idem-2', 'second');
    assert.equal(next.seq, 2);
    await waitFor(() => pushes.length >= 2, 5000, 'second push');
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(pushes.map((m) => m.seq), [1, 2], 'no push for the repeat');
    await Promise.all([sender.close(), receiver.close()]);
  });

  it('pages history backwards and pulls forwards', async () => {
    const { a, b, conv } = await friends();
    for (let i = 1; i <= 12; i++) await send(i % 2 ? a : b, conv, `p-${i}`, `page ${i}`);
    const page = async (query: string) => {
      const res = await get(b, `/api/conversations/${conv}/messages${query}`);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      const body = res.body as { conversationId: number; messages: ChatMessage[]; hasMore: boolean };
      assert.equal(body.conversationId, conv);
      assert.deepEqual(Object.keys(body).sort(), ['conversationId', 'hasMore', 'messages']);
      return [body.messages.map((m) => m.seq), body.hasMore];
    };
    const seqs = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
    assert.deepEqual(await page(''), [seqs(1, 12), false]);
    assert.deepEqual(await page('?limit=5'), [seqs(8, 12), true]);
    assert.deepEqual(await page('?beforeSeq=8&limit=5'), [seqs(3, 7), true]);
    assert.deepEqual(await page('?beforeSeq=3&limit=5'), [seqs(1, 2), false]);
    assert.deepEqual(await page('?afterSeq=0&limit=5'), [seqs(1, 5), true]);
    assert.deepEqual(await page('?afterSeq=10&limit=5'), [seqs(11, 12), false]);
    assert.deepEqual(await page('?afterSeq=12'), [[], false]);
    const first = (await get(a, `/api/conversations/${conv}/messages?afterSeq=0&limit=1`)).body as { messages: ChatMessage[] };
    assert.deepEqual(first.messages[0] && { ...first.messages[0], serverTime: 0 }, { conversationId: conv, seq: 1, senderUid: a.uid, clientMsgId: 'p-1', type: 'text', body: 'page 1', serverTime: 0 });
  });

  it('validates path, query and body: 400 VALIDATION_FAILED with field details, from the gate or the chat server schema', async () => {
    const { a, conv } = await friends();
    const path = `/api/conversations/${conv}/messages`;
    assert.deepEqual(fields(expectError(await get(a, `${path}?limit=0`), 400, 'VALIDATION_FAILED')), ['limit']);
    assert.deepEqual(fields(expectError(await get(a, `${path}?limit=abc&beforeSeq=-1`), 400, 'VALIDATION_FAILED')).sort(), ['beforeSeq', 'limit']);
    assert.deepEqual(fields(expectError(await get(a, `${path}?limit=1&limit=2`), 400, 'VALIDATION_FAILED')), ['limit']);
    assert.deepEqual(fields(expectError(await get(a, `${path}?afterSeq=1&beforeSeq=5`), 400, 'VALIDATION_FAILED')), ['afterSeq']);
    assert.deepEqual(fields(expectError(await get(a, '/api/conversations/abc/messages'), 400, 'VALIDATION_FAILED')), ['conversationId']);
    assert.deepEqual(fields(expectError(await get(a, '/api/conversations/0/messages'), 400, 'VALIDATION_FAILED')), ['conversationId']);
    // Ranges are the chat protocol's own (history ≤ 100, pull ≤ 500), judged by the chat server.
    const range = expectError(await get(a, `${path}?limit=101`), 400, 'VALIDATION_FAILED');
    assert.deepEqual(fields(range), ['limit']);
    assert.equal(range.message, 'Invalid limit');
    assert.equal((await get(a, `${path}?afterSeq=0&limit=500`)).status, 200);
    expectError(await get(a, `${path}?afterSeq=0&limit=501`), 400, 'VALIDATION_FAILED');

    const bad = expectError(await post(a, path, { type: 'video', body: 'x'.repeat(16 * 1024 + 1) }), 400, 'VALIDATION_FAILED');
    // A body as large as TCP allows (16 KiB of UTF-8) fits, though the JSON is over gate.body_limit_bytes.
    assert.equal((await post(a, path, { clientMsgId: 'max', type: 'text', body: 'é'.repeat(8 * 1024) })).status, 201);
    assert.equal((await post(a, path, { clientMsgId: 'max-escaped', type: 'text', body: '\u0001'.repeat(16 * 1024) })).status, 201);
    const huge = expectError(await post(a, path, { clientMsgId: 'huge', type: 'text', body: '\u0001'.repeat(17 * 1024) }), 413, 'PAYLOAD_TOO_LARGE');
    assert.deepEqual(huge.details, { limitBytes: 6 * 16 * 1024 + 1024 });
    assert.deepEqual(fields(bad).sort(), ['body', 'clientMsgId', 'type']);
    assert.deepEqual(fields(expectError(await post(a, path, { clientMsgId: 'has space', type: 'text', body: 'x' }), 400, 'VALIDATION_FAILED')), ['clientMsgId']);
    assert.deepEqual(fields(expectError(await post(a, path, [1, 2]), 400, 'VALIDATION_FAILED')), ['body']);
    expectError(await post(a, path, '{"clientMsgId": '), 400, 'BAD_REQUEST');
    // `to` in the body cannot redirect the message: only the path names the conversation.
    const sent = await post(a, path, { clientMsgId: 'to-ignored', type: 'text', body: 'x', to: 1, conversationId: 999999 });
    assert.equal(sent.status, 201, JSON.stringify(sent.body));
    assert.equal((sent.body as { conversationId: number }).conversationId, conv);
  });

  it('refuses system messages (403 FORBIDDEN), and non-friends (403 NOT_FRIENDS), as over TCP', async () => {
    const { a, b, conv } = await friends();
    expectError(await post(a, `/api/conversations/${conv}/messages`, { clientMsgId: 'sys', type: 'system', body: '{}' }), 403, 'FORBIDDEN');
    await cluster.env.pool.query('DELETE FROM friendships WHERE user_id IN (?, ?)', [a.uid, b.uid]);
    expectError(await post(a, `/api/conversations/${conv}/messages`, { clientMsgId: 'nf', type: 'text', body: 'x' }), 403, 'NOT_FRIENDS');
  });

  it('answers a foreign conversation exactly like one that does not exist: 403 NOT_MEMBER', async () => {
    const { conv } = await friends();
    const outsider = await createUser(cluster);
    const missing = conv + 1_000_000;
    for (const [method, suffix, body] of [
      ['GET', '', undefined],
      ['GET', '?afterSeq=0', undefined],
      ['POST', '', { clientMsgId: 'probe', type: 'text', body: 'x' }],
    ] as const) {
      const ask = (id: number) => requestJson(method, cluster.gateUrl, `/api/conversations/${id}/messages${suffix}`, body, bearer(outsider.uid, outsider.token));
      const [foreign, absent] = [await ask(conv), await ask(missing)];
      expectError(foreign, 403, 'NOT_MEMBER');
      assert.deepEqual(foreign.body, absent.body);
      assert.equal(foreign.status, absent.status);
    }
  });

  it('answers unknown paths and methods under the API with 404 once authenticated', async () => {
    const user = await createUser(cluster);
    expectError(await get(user, '/api/conversations/1'), 404, 'NOT_FOUND');
    expectError(await requestJson('DELETE', cluster.gateUrl, '/api/conversations', undefined, bearer(user.uid, user.token)), 404, 'NOT_FOUND');
  });
});

// Last: it kills chat1 for good.
describe('REST API: failover', () => {
  it("tries another chat server once when the user's server is unreachable", async () => {
    const { a, b, conv } = await friends();
    const receiver = await login(chat2(), b);
    // A server the registry calls live (no status-server has heard of its death: another one's registry,
    // a lost event) that refuses connections, and a's route naming it: the gate's call fails there and
    // goes elsewhere. Never least loaded, so no other login lands on it.
    const ghost = { server: { id: 'chatGhost', host: '127.0.0.1', tcpPort: 1, grpcPort: await freePort(), wsPort: 0 }, connections: 1_000_000_000, lastReportMs: Date.now(), draining: false };
    await cluster.env.redis.hset(RedisKeys.chatServers, 'chatGhost', JSON.stringify(ghost));
    await cluster.env.redis.hset(RedisKeys.route(a.uid), { server: 'chatGhost', session: 'ghost' });
    try {
      assert.equal((await send(a, conv, 'via-another', 'retried')).seq, 1);
      const gate = cluster.processes.get('gate');
      assert.ok(gate?.logs.some((l) => l.msg === 'chat server unreachable for a REST call' && l.chatServer === 'chatGhost'), 'the gate retried elsewhere');
    } finally {
      await cluster.env.redis.hdel(RedisKeys.chatServers, 'chatGhost');
      await cluster.env.redis.del(RedisKeys.route(a.uid));
    }
    await receiver.close();
  });

  it('a killed chat server is marked down at once; REST calls for its users go to a live one', async () => {
    const { a, b, conv } = await friends();
    const sender = await login(chat1(), a);
    const receiver = await login(chat2(), b);
    const pushes: ChatMessage[] = [];
    receiver.on('push', (id, msg) => {
      if (id === MsgId.MessagePush) pushes.push(msg as ChatMessage);
    });
    assert.equal((await send(a, conv, 'before', 'via chat1')).seq, 1);
    const killedAt = Date.now();
    await cluster.stopProcess('chat1', 'SIGKILL');
    sender.destroy();
    // Its attachment stream ended with the process (docs/status-server.md): not after 3 silent report intervals.
    for (;;) {
      if (parseRecord((await cluster.env.redis.hget(RedisKeys.chatServers, 'chat1')) ?? '')?.down) break;
      assert.ok(Date.now() - killedAt < 1500, 'chat1 marked down within 1.5 s');
      await new Promise((r) => setTimeout(r, 20));
    }
    // a's route still names chat1; the gate does not call it.
    const after = await send(a, conv, 'after', 'via chat2');
    assert.equal(after.seq, 2);
    await waitFor(() => pushes.find((m) => m.seq === 2), 5000, 'push from chat2');
    const listed = await get(a, '/api/conversations');
    assert.equal(listed.status, 200);
    await receiver.close();
  });
});

