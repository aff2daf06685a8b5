import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { RowDataPacket } from 'mysql2/promise';
import { MsgId, type ChatClient, type FriendNotify, type ProtocolError, type SendAck } from '@parley/protocol';
import { Cluster } from '../src/cluster';
import { deleteByPrefix } from '@parley/common';
import { befriend, createUser, login, newToken, storedSeqs, waitFor, type TestUser } from './support/chat-fixtures';
import { SyncingClient } from './support/syncing-client';
import { WsChat } from './support/ws-chat';

// 1:1 messaging through two real chat-server processes: acks, pushes across servers, sync, pull.
let cluster: Cluster;

before(async () => {
  cluster = await Cluster.start({ chatServers: 2, kinds: ['chat'], sections: { cluster: { log_level: 'info' } } });
});

after(async () => {
  await cluster?.stop();
});

const chat1 = () => cluster.chatEndpoint('chat1');
const chat2 = () => cluster.chatEndpoint('chat2');

async function pair(): Promise<{ a: TestUser; b: TestUser; conv: number }> {
  const [a, b] = [await createUser(cluster), await createUser(cluster)];
  return { a, b, conv: await befriend(cluster, a.uid, b.uid) };
}

function assertExactlyOnce(receiver: SyncingClient, conv: number, bodies: string[]): void {
  const got = receiver.messages(conv);
  assert.deepEqual(got.map((m) => m.seq), bodies.map((_, i) => i + 1), 'every seq once, in order');
  assert.deepEqual(got.map((m) => m.body), bodies, 'the bodies in send order');
}

describe('chat messaging', () => {
  it('delivers between a WebSocket user on one server and a TCP user on the other, both ways', async () => {
    const { a, b, conv } = await pair();
    const browser = await WsChat.login(chat1().host, chat1().wsPort, a);
    const desktop = await login(chat2(), b);
    const pushedToDesktop = new Promise<string>((resolve) =>
      desktop.on('push', (id, msg) => {
        if (id === MsgId.MessagePush) resolve(msg.body);
      }),
    );
    const ack = await browser.sendText(b.uid, 'from the browser');
    assert.equal(ack.id === MsgId.SendAck ? ack.msg.conversationId : 0, conv);
    assert.equal(await pushedToDesktop, 'from the browser');
    await desktop.sendMessage({ to: a.uid }, 'from the desktop');
    const push = await browser.next((f) => f.id === MsgId.MessagePush);
    assert.deepEqual(push.id === MsgId.MessagePush ? [push.msg.conversationId, push.msg.senderUid, push.msg.body] : [], [conv, b.uid, 'from the desktop']);
    assert.equal(browser.badMessages, 0);
    browser.close();
    await desktop.close();
  });

  it('delivers A→B across servers: ack after store, push to the other server, seqs in order', async () => {
    const { a, b, conv } = await pair();
    const receiver = new SyncingClient(b);
    await receiver.connect(chat2());
    const sender = await login(chat1(), a);
    const bodies = Array.from({ length: 40 }, (_, i) => `hello ${i}`);
    const acks: SendAck[] = [];
    for (const body of bodies) acks.push(await sender.sendMessage({ to: b.uid }, body));
    assert.deepEqual(acks.map((x) => x.seq), bodies.map((_, i) => i + 1));
    assert.ok(acks.every((x) => x.conversationId === conv));
    assert.deepEqual(await storedSeqs(cluster, conv), bodies.map((_, i) => i + 1), 'acked means stored');
    await receiver.waitForSeq(conv, bodies.length);
    assertExactlyOnce(receiver, conv, bodies);
    const first = receiver.messages(conv)[0];
    assert.equal(first?.senderUid, a.uid);
    assert.equal(first?.clientMsgId.length, 36);
    assert.equal(first?.serverTime, acks[0]?.serverTime);
    // Pipelined sends (no waiting for each ack) keep the order of a single sender too.
    const burst = Array.from({ length: 60 }, (_, i) => `burst ${i}`);
    const burstAcks = await Promise.all(burst.map((body) => sender.sendMessage({ conversationId: conv }, body)));
    assert.deepEqual(burstAcks.map((x) => x.seq), burst.map((_, i) => bodies.length + i + 1));
    await receiver.waitForSeq(conv, bodies.length + burst.length);
    assertExactlyOnce(receiver, conv, [...bodies, ...burst]);
    await Promise.all([sender.close(), receiver.close()]);
  });

  it('pushes to a recipient on the same server', async () => {
    const { a, b, conv } = await pair();
    const receiver = new SyncingClient(b);
    await receiver.connect(chat1());
    const sender = await login(chat1(), a);
    await sender.sendMessage({ to: b.uid }, 'local');
    await receiver.waitForSeq(conv, 1, 3000);
    assert.equal(receiver.messages(conv)[0]?.body, 'local');
    await Promise.all([sender.close(), receiver.close()]);
  });

  it('keeps messages for an offline recipient until it syncs, and records its DeliveredAck', async () => {
    const { a, b, conv } = await pair();
    const sender = await login(chat2(), a);
    const bodies = Array.from({ length: 130 }, (_, i) => `offline ${i}`);
    await Promise.all(bodies.map((body) => sender.sendMessage({ to: b.uid }, body)));
    const receiver = new SyncingClient(b);
    await receiver.connect(chat1());
    assertExactlyOnce(receiver, conv, bodies);
    // The pulls acked everything; the server keeps it as ackedSeq (written in batches).
    const client = receiver.client as ChatClient;
    let acked = 0;
    for (let i = 0; i < 50 && acked < bodies.length; i++) {
      const resp = await client.sync();
      const c = resp.conversations.find((x) => x.conversationId === conv);
      assert.equal(c?.kind, 'direct');
      assert.equal(c?.peerUid, a.uid);
      assert.equal(c?.maxSeq, bodies.length);
      acked = c?.ackedSeq ?? 0;
      if (acked < bodies.length) await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(acked, bodies.length);
    // `have` lets the server leave out conversations the client is current on.
    const current = await client.sync([{ conversationId: conv, seq: bodies.length }]);
    assert.equal(current.conversations.find((x) => x.conversationId === conv), undefined);
    await Promise.all([sender.close(), receiver.close()]);
  });

  it('loses nothing when the recipient drops and reconnects mid-stream', async () => {
    const { a, b, conv } = await pair();
    const receiver = new SyncingClient(b);
    await receiver.connect(chat2());
    const sender = await login(chat1(), a);
    const bodies = Array.from({ length: 300 }, (_, i) => `stream ${i}`);
    const sending = (async () => {
      for (let i = 0; i < bodies.length; i += 10) {
        await Promise.all(bodies.slice(i, i + 10).map((body) => sender.sendMessage({ to: b.uid }, body)));
      }
    })();
    // Drop the connection three times while the stream runs, reconnecting to either server.
    for (const target of [chat1, chat2, chat1]) {
      await new Promise((r) => setTimeout(r, 80));
      receiver.destroy();
      await new Promise((r) => setTimeout(r, 30));
      await receiver.connect(target());
    }
    await sending;
    await receiver.waitForSeq(conv, bodies.length, 15000);
    assertExactlyOnce(receiver, conv, bodies);
    await Promise.all([sender.close(), receiver.close()]);
  });

  it('answers a resent clientMsgId with the original ack, on any server', async () => {
    const { a, b, conv } = await pair();
    const first = await login(chat1(), a);
    const id = randomUUID();
    const ack = await first.sendMessage({ to: b.uid }, 'once', { clientMsgId: id });
    const again = await first.sendMessage({ to: b.uid }, 'once', { clientMsgId: id });
    assert.deepEqual(again, { ...ack, reqId: again.reqId });
    await first.close();
    const elsewhere = await login(chat2(), a);
    const third = await elsewhere.sendMessage({ conversationId: conv }, 'once', { clientMsgId: id });
    assert.equal(third.seq, ack.seq);
    assert.equal(third.serverTime, ack.serverTime);
    assert.deepEqual(await storedSeqs(cluster, conv), [1]);
    await elsewhere.close();
  });

  it('keeps seqs gap-free with no reuse when Redis loses every key (as after a restart without persistence)', async () => {
    const { a, b, conv } = await pair();
    let sender = await login(chat1(), a);
    const before = await Promise.all([1, 2, 3].map((n) => sender.sendMessage({ to: b.uid }, `before ${n}`)));
    await sender.close();
    // Everything Parley keeps in Redis (tokens, routes, registry) is gone; MySQL is not.
    await deleteByPrefix(cluster.env.redis, cluster.env.redisPrefix);
    a.token = await newToken(cluster, a.uid);
    sender = await login(chat2(), a);
    const afterLoss = await Promise.all([1, 2, 3].map((n) => sender.sendMessage({ to: b.uid }, `after ${n}`)));
    assert.deepEqual([...before, ...afterLoss].map((x) => x.seq).sort((x, y) => x - y), [1, 2, 3, 4, 5, 6]);
    assert.deepEqual(await storedSeqs(cluster, conv), [1, 2, 3, 4, 5, 6]);
    await sender.close();
  });

  it('refuses a non-friend (NOT_FRIENDS), a non-member (NOT_MEMBER) and a forged system message (FORBIDDEN)', async () => {
    const { a, conv } = await pair();
    const stranger = await createUser(cluster);
    const client = await login(chat1(), stranger);
    await assert.rejects(client.sendMessage({ to: a.uid }, 'hi'), (err: ProtocolError) => err.code === 'NOT_FRIENDS');
    await assert.rejects(client.sendMessage({ conversationId: conv }, 'hi'), (err: ProtocolError) => err.code === 'NOT_MEMBER');
    await assert.rejects(client.pull(conv, 0), (err: ProtocolError) => err.code === 'NOT_MEMBER');
    await assert.rejects(client.history(conv), (err: ProtocolError) => err.code === 'NOT_MEMBER');
    await client.ping();
    // A friend may not forge a system message either.
    const friend = await login(chat2(), a);
    await assert.rejects(friend.sendMessage({ conversationId: conv }, 'fake', { type: 'system' }), (err: ProtocolError) => err.code === 'FORBIDDEN');
    assert.deepEqual(await storedSeqs(cluster, conv), []);
    await Promise.all([client.close(), friend.close()]);
  });

  it('pages forward with Pull and backward with History', async () => {
    const { a, b, conv } = await pair();
    const client = await login(chat2(), a);
    const bodies = Array.from({ length: 25 }, (_, i) => `page ${i}`);
    await Promise.all(bodies.map((body) => client.sendMessage({ to: b.uid }, body)));
    const p1 = await client.pull(conv, 0, 10);
    assert.deepEqual(p1.messages.map((m) => m.seq), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    assert.equal(p1.hasMore, true);
    const p3 = await client.pull(conv, 20, 10);
    assert.deepEqual(p3.messages.map((m) => m.seq), [21, 22, 23, 24, 25]);
    assert.equal(p3.hasMore, false);
    const h1 = await client.history(conv, undefined, 10);
    assert.deepEqual(h1.messages.map((m) => m.seq), [16, 17, 18, 19, 20, 21, 22, 23, 24, 25]);
    assert.equal(h1.hasMore, true);
    const h3 = await client.history(conv, 6, 10);
    assert.deepEqual(h3.messages.map((m) => m.seq), [1, 2, 3, 4, 5]);
    assert.equal(h3.hasMore, false);
    assert.deepEqual(h3.messages.map((m) => m.body), bodies.slice(0, 5));
    await client.close();
  });

  it('befriends through the friend requests and notifies across servers', async () => {
    const [a, b] = [await createUser(cluster), await createUser(cluster)];
    const alice = await login(chat1(), a);
    const bob = await login(chat2(), b);
    const notes: FriendNotify[] = [];
    const aliceNotes: FriendNotify[] = [];
    bob.on('push', (id, msg) => {
      if (id === MsgId.FriendNotify) notes.push(msg as FriendNotify);
    });
    alice.on('push', (id, msg) => {
      if (id === MsgId.FriendNotify) aliceNotes.push(msg as FriendNotify);
    });
    const sent = await alice.request(MsgId.FriendRequestReq, { toUid: b.uid, note: 'hi' });
    const note = await waitFor(() => notes[0], 5000, 'FriendNotify request');
    assert.equal(note.kind, 'request');
    assert.equal(note.request?.requestId, sent.requestId);
    const reply = await bob.request(MsgId.FriendReplyReq, { requestId: sent.requestId, accept: true });
    assert.equal(reply.friend?.uid, a.uid);
    assert.equal(reply.friend?.online, true, 'alice is online on the other server');
    const accepted = await waitFor(() => aliceNotes[0], 5000, 'FriendNotify accepted');
    assert.equal(accepted.kind, 'accepted');
    const conv = reply.friend?.conversationId as number;
    const ack = await alice.sendMessage({ to: b.uid }, 'now we are friends');
    assert.equal(ack.conversationId, conv);
    const sync = await bob.sync();
    assert.equal(sync.conversations.find((c) => c.conversationId === conv)?.maxSeq, 1);
    const [rows] = await cluster.env.pool.query<RowDataPacket[]>('SELECT COUNT(*) AS n FROM conversation_members WHERE conversation_id = ?', [conv]);
    assert.equal(Number(rows[0]?.n), 2);
    await Promise.all([alice.close(), bob.close()]);
  });
});
