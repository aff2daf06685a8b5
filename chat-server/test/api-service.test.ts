import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { RowDataPacket } from 'mysql2/promise';
import { createChatApiClient, createLogger, isUnreachableError, unary, type CallReply__Output, type ChatApiClient, type RunningServer } from '@parley/common';
import { createTestEnv, type TestEnv, testClusterCredentials } from '@parley/common/testing';
import { ChatClient, MsgId, type ChatMessage } from '@parley/protocol';
import { startChatServer } from '../src/index';
import { befriend, createUser, userWithToken } from './support/fixtures';

// The ChatApi gRPC service (the gate's REST API) on a real chat server: which ids it takes, schema
// errors as Error bodies, and the same answers and pushes as the TCP path.
let env: TestEnv;
let server: RunningServer;
let api: ChatApiClient;

before(async () => {
  env = await createTestEnv({ chatServers: [{ id: 'chat1', tcpPort: 0, grpcPort: 0 }, { id: 'chat2', tcpPort: 0, grpcPort: 0 }] });
  server = await startChatServer({ config: env.config, logger: createLogger({ kind: 'chat', id: 'chat1', level: 'silent' }), id: 'chat1' });
  api = createChatApiClient('127.0.0.1', server.ready.grpcPort as number, testClusterCredentials());
});

after(async () => {
  api?.close();
  await server?.stop();
  await env?.cleanup();
});

interface Answer {
  id: number;
  body: Record<string, unknown>;
}

async function call(uid: number, msgId: number, body: object | string, client = api): Promise<Answer> {
  const bytes = Buffer.from(typeof body === 'string' ? body : JSON.stringify(body), 'utf8');
  const reply = await unary<CallReply__Output>((o, cb) => client.Call({ uid, msgId, body: bytes }, o, cb));
  return { id: reply.msgId, body: JSON.parse(reply.body.toString('utf8')) as Record<string, unknown> };
}

function assertError(answer: Answer, code: string): Record<string, unknown> {
  assert.equal(answer.id, MsgId.Error, JSON.stringify(answer.body));
  assert.equal(answer.body.code, code, JSON.stringify(answer.body));
  return answer.body;
}

describe('ChatApi service', () => {
  it('accepts only requests the router answers: LoginReq, Ping, DeliveredAck, server ids and unknown ids are refused', async () => {
    const uid = await createUser(env.pool);
    const refused: [number, object][] = [
      [MsgId.LoginReq, { reqId: 1, uid, token: 'x'.repeat(43) }],
      [MsgId.Ping, {}],
      [MsgId.DeliveredAck, { conversationId: 1, seq: 1 }],
      [MsgId.SendAck, { reqId: 1 }],
      [MsgId.Error, { code: 'INTERNAL', message: 'x' }],
      [999, { reqId: 1 }],
    ];
    for (const [id, body] of refused) {
      const error = assertError(await call(uid, id, body), 'UNKNOWN_MESSAGE');
      assert.deepEqual(error.details, { id });
    }
  });

  it('answers schema failures with the TCP path Error body: VALIDATION_FAILED with issues, MALFORMED_FRAME for bad JSON', async () => {
    const uid = await createUser(env.pool);
    const invalid = assertError(await call(uid, MsgId.SendReq, { reqId: 7, conversationId: 1, type: 'text', body: 'x' }), 'VALIDATION_FAILED');
    assert.equal(invalid.reqId, 7);
    assert.deepEqual((invalid.details as { path: string }[]).map((d) => d.path), ['clientMsgId']);
    const ranges = assertError(await call(uid, MsgId.HistoryReq, { reqId: 1, conversationId: 0, limit: 101 }), 'VALIDATION_FAILED');
    assert.deepEqual((ranges.details as { path: string }[]).map((d) => d.path).sort(), ['conversationId', 'limit']);
    assertError(await call(uid, MsgId.SyncReq, '{"reqId": '), 'MALFORMED_FRAME');
    assertError(await call(uid, MsgId.SyncReq, ''), 'MALFORMED_FRAME');
  });

  it('refuses a call without a valid uid at the gRPC level', async () => {
    await assert.rejects(call(0, MsgId.SyncReq, { reqId: 1 }), (err: { code?: string }) => err.code === 'BAD_REQUEST');
  });

  it('answers like the TCP path: SendAck after the commit, idempotent by clientMsgId, a push to the TCP recipient, sync and pages', async () => {
    const [a, b] = [await createUser(env.pool), await userWithToken(env.pool, env.redis)];
    const conv = await befriend(env.pool, a, b.uid);
    const receiver = new ChatClient({ heartbeat: false });
    await receiver.connect('127.0.0.1', server.ready.tcpPort as number);
    await receiver.login(b.uid, b.token);
    const pushes: ChatMessage[] = [];
    receiver.on('push', (id, msg) => {
      if (id === MsgId.MessagePush) pushes.push(msg as ChatMessage);
    });
    const send = { reqId: 3, conversationId: conv, clientMsgId: 'rest-1', type: 'text', body: 'over grpc' };
    const ack = await call(a, MsgId.SendReq, send);
    assert.equal(ack.id, MsgId.SendAck);
    assert.deepEqual({ ...ack.body, serverTime: 0 }, { reqId: 3, clientMsgId: 'rest-1', conversationId: conv, seq: 1, serverTime: 0 });
    const again = await call(a, MsgId.SendReq, { ...send, body: 'ignored: the first one counts' });
    assert.deepEqual(again.body, ack.body);
    const [rows] = await env.pool.query<RowDataPacket[]>('SELECT body FROM messages WHERE conversation_id = ?', [conv]);
    assert.deepEqual(rows.map((r) => String(r.body)), ['over grpc']);
    await receiver.ping();
    for (let i = 0; i < 50 && pushes.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(pushes.map((m) => [m.seq, m.body, m.senderUid]), [[1, 'over grpc', a]]);

    assertError(await call(a, MsgId.SendReq, { ...send, clientMsgId: 'rest-2', type: 'system' }), 'FORBIDDEN');
    const sync = await call(a, MsgId.SyncReq, { reqId: 4 });
    assert.equal(sync.id, MsgId.SyncResp);
    assert.deepEqual(sync.body.conversations, [{ conversationId: conv, kind: 'direct', peerUid: b.uid, maxSeq: 1, ackedSeq: 0 }]);
    const page = await call(a, MsgId.PullReq, { reqId: 5, conversationId: conv, afterSeq: 0 });
    assert.equal(page.id, MsgId.PullResp);
    assert.deepEqual((page.body.messages as ChatMessage[]).map((m) => m.body), ['over grpc']);
    await receiver.close();
  });

  it('answers a foreign conversation exactly like one that does not exist', async () => {
    const [a, b, outsider] = [await createUser(env.pool), await createUser(env.pool), await createUser(env.pool)];
    const conv = await befriend(env.pool, a, b);
    const missing = conv + 1000;
    for (const [id, body] of [
      [MsgId.PullReq, { reqId: 1, afterSeq: 0 }],
      [MsgId.HistoryReq, { reqId: 1 }],
      [MsgId.SendReq, { reqId: 1, clientMsgId: 'probe', type: 'text', body: 'x' }],
    ] as const) {
      const foreign = assertError(await call(outsider, id, { ...body, conversationId: conv }), 'NOT_MEMBER');
      const absent = assertError(await call(outsider, id, { ...body, conversationId: missing }), 'NOT_MEMBER');
      assert.deepEqual(foreign, absent);
    }
  });

  it('refuses calls with gRPC UNAVAILABLE once the server drains, so the gate tries another', async () => {
    const chat2 = await startChatServer({ config: env.config, logger: createLogger({ kind: 'chat', id: 'chat2', level: 'silent' }), id: 'chat2' });
    const client = createChatApiClient('127.0.0.1', chat2.ready.grpcPort as number, testClusterCredentials());
    const uid = await createUser(env.pool);
    assert.equal((await call(uid, MsgId.SyncReq, { reqId: 1 }, client)).id, MsgId.SyncResp);
    // A socket that never closes its side keeps the drain waiting (1 s) with the gRPC server still up.
    const lingering = net.connect({ host: '127.0.0.1', port: chat2.ready.tcpPort as number, allowHalfOpen: true });
    await new Promise((resolve) => lingering.once('connect', resolve));
    const stopped = chat2.stop();
    await assert.rejects(call(uid, MsgId.SyncReq, { reqId: 2 }, client), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'UNAVAILABLE');
      assert.equal(err.message, 'This chat server is shutting down');
      assert.ok(isUnreachableError(err));
      return true;
    });
    await stopped;
    client.close();
    lingering.destroy();
  });
});
