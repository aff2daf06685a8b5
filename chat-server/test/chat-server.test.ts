import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RowDataPacket } from 'mysql2/promise';
import {
  createChatPeerClient,
  createLogger,
  unary,
  type ChatPeerClient,
  type DeliverReply__Output,
  type KickReply__Output,
  type RunningServer,
} from '@parley/common';
import { createTestEnv, type TestEnv, testClusterCredentials } from '@parley/common/testing';
import { ChatClient, MsgId, type ChatMessage, type ProtocolError } from '@parley/protocol';
import { startChatServer } from '../src/index';
import { befriend, userWithToken } from './support/fixtures';

// A chat server in-process: failures inside handlers, the ChatPeer service, DeliveredAck bookkeeping.
let env: TestEnv;
let server: RunningServer;
let tcpPort: number;
let peer: ChatPeerClient;

before(async () => {
  env = await createTestEnv({ chatServers: [{ id: 'chat1', tcpPort: 0, grpcPort: 0 }] });
  server = await startChatServer({ config: env.config, logger: createLogger({ kind: 'chat', id: 'chat1', level: 'silent' }), id: 'chat1' });
  tcpPort = server.ready.tcpPort as number;
  peer = createChatPeerClient('127.0.0.1', server.ready.grpcPort as number, testClusterCredentials());
});

after(async () => {
  peer?.close();
  await server?.stop();
  await env?.cleanup();
});

async function connect(user: { uid: number; token: string }): Promise<ChatClient> {
  const client = new ChatClient({ heartbeat: false });
  await client.connect('127.0.0.1', tcpPort);
  await client.login(user.uid, user.token);
  return client;
}

describe('chat server (in-process)', () => {
  it('answers a request whose handler fails with INTERNAL and keeps the connection usable', async () => {
    const [a, b] = [await userWithToken(env.pool, env.redis), await userWithToken(env.pool, env.redis)];
    const conv = await befriend(env.pool, a.uid, b.uid);
    const client = await connect(a);
    await env.pool.query('RENAME TABLE messages TO messages_away');
    try {
      await assert.rejects(client.pull(conv, 0), (err: ProtocolError) => err.code === 'INTERNAL' && err.message === 'Internal server error');
      await assert.rejects(client.sendMessage({ to: b.uid }, 'x'), (err: ProtocolError) => err.code === 'UNAVAILABLE');
    } finally {
      await env.pool.query('RENAME TABLE messages_away TO messages');
    }
    await client.ping();
    const ack = await client.sendMessage({ to: b.uid }, 'after');
    assert.equal(ack.seq, 1, 'the failed send left no seq behind');
    const page = await client.pull(conv, 0);
    assert.deepEqual(page.messages.map((m) => m.body), ['after']);
    await client.close();
  });

  it('delivers peer pushes to local sessions and reports the rest offline', async () => {
    const [a, b] = [await userWithToken(env.pool, env.redis), await userWithToken(env.pool, env.redis)];
    const client = await connect(a);
    const pushes: ChatMessage[] = [];
    client.on('push', (id, msg) => {
      if (id === MsgId.MessagePush) pushes.push(msg as ChatMessage);
    });
    const message: ChatMessage = { conversationId: 5, seq: 1, senderUid: b.uid, clientMsgId: 'p', type: 'text', body: 'via peer', serverTime: 1 };
    const body = Buffer.from(JSON.stringify(message));
    const reply = await unary<DeliverReply__Output>((o, cb) =>
      peer.Deliver({ fromServer: 'chat9', pushes: [{ msgId: MsgId.MessagePush, body, uids: [a.uid, b.uid] }] }, o, cb),
    );
    assert.deepEqual(reply.offlineUids, [b.uid]);
    await client.ping();
    assert.deepEqual(pushes, [message]);
    await client.close();
  });

  it('kicks on a peer Kick unless the session is the one to keep', async () => {
    const a = await userWithToken(env.pool, env.redis);
    const client = await connect(a);
    const [route] = await env.redis.hmget(`route:${a.uid}`, 'session');
    const kept = await unary<KickReply__Output>((o, cb) => peer.Kick({ uid: a.uid, keepSession: route ?? '', reason: 'x' }, o, cb));
    assert.equal(kept.kicked, 0);
    await client.ping();
    let kick: unknown;
    client.on('push', (id, msg) => {
      if (id === MsgId.Kick) kick = msg;
    });
    const closed = new Promise((r) => client.once('close', r));
    const kicked = await unary<KickReply__Output>((o, cb) => peer.Kick({ uid: a.uid, keepSession: 'someone-else', reason: 'logged_in_elsewhere' }, o, cb));
    assert.equal(kicked.kicked, 1);
    await closed;
    assert.deepEqual(kick, { reason: 'logged_in_elsewhere' });
  });

  it('keeps the highest DeliveredAck, capped at the conversation max, and ignores non-members', async () => {
    const [a, b, c] = [await userWithToken(env.pool, env.redis), await userWithToken(env.pool, env.redis), await userWithToken(env.pool, env.redis)];
    const conv = await befriend(env.pool, a.uid, b.uid);
    const sender = await connect(a);
    for (let i = 0; i < 5; i++) await sender.sendMessage({ to: b.uid }, `m${i}`);
    const reader = await connect(b);
    reader.ackDelivered(conv, 3);
    reader.ackDelivered(conv, 2);
    const outsider = await connect(c);
    const outsiderErrors: unknown[] = [];
    outsider.on('push', (...[id, msg]) => {
      if (id === MsgId.Error) outsiderErrors.push(msg);
    });
    outsider.ackDelivered(conv, 4);
    outsider.ackDelivered(conv + 100000, 1);
    await outsider.ping();
    assert.deepEqual(outsiderErrors, [], 'a DeliveredAck for a foreign or unknown conversation is ignored, with no Error (docs/protocol.md)');
    const acked = async () => {
      const [rows] = await env.pool.query<RowDataPacket[]>('SELECT user_id, acked_seq FROM conversation_members WHERE conversation_id = ? ORDER BY user_id', [conv]);
      return rows.map((r) => [Number(r.user_id), Number(r.acked_seq)]);
    };
    for (let i = 0; i < 40 && (await acked())[1]?.[1] !== 3; i++) await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(await acked(), [[a.uid, 0], [b.uid, 3]]);
    reader.ackDelivered(conv, 99);
    for (let i = 0; i < 40 && (await acked())[1]?.[1] === 3; i++) await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(await acked(), [[a.uid, 0], [b.uid, 5]]);
    const sync = await reader.sync();
    assert.deepEqual(sync.conversations, [{ conversationId: conv, kind: 'direct', peerUid: a.uid, maxSeq: 5, ackedSeq: 5 }]);
    await Promise.all([sender.close(), reader.close(), outsider.close()]);
  });
});
