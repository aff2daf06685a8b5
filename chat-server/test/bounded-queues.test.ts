import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { PoolConnection, RowDataPacket } from 'mysql2/promise';
import { createLogger, createMysqlPool, type ChatInstanceConfig, type MysqlPool, type ParleyConfig, type RunningServer } from '@parley/common';
import { createTestEnv, type TestEnv, testClusterCredentials } from '@parley/common/testing';
import { encodeFrame, MsgId, type ChatMessage, type ServerMessage } from '@parley/protocol';
import { startChatServer } from '../src/index';
import { ClusterNotifier } from '../src/cluster/cluster-notifier';
import { PeerClients } from '../src/cluster/peer-clients';
import { Payload } from '../src/cluster/push';
import { RouteStore } from '../src/cluster/route-store';
import { CommitLanes } from '../src/messaging/commit-lanes';
import { MessageCommitter } from '../src/messaging/message-committer';
import { pushCommitted } from '../src/messaging/message-service';
import { SyncService } from '../src/messaging/sync-service';
import { befriend, createUser, userWithToken } from './support/fixtures';
import { startPeerNode, type PeerNode } from './support/peer-node';
import { RawSocket } from './support/raw-socket';

// Issue 11 item 10: every queue between a SendReq and its pushes has a bound from config; past it
// a send is refused OVERLOADED before anything is stored, and pushes are dropped (counted) —
// never memory. Real MySQL, Redis, gRPC and TCP; a held row lock or a held Deliver is the slowness.
const logger = createLogger({ kind: 'chat', id: 'test', level: 'silent' });
let env: TestEnv;

before(async () => {
  env = await createTestEnv();
});

after(async () => {
  await env?.cleanup();
});

async function waitFor(cond: () => boolean | Promise<boolean>, what: string, ms = 5000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function storedIds(conversationId: number): Promise<string[]> {
  const [rows] = await env.pool.query<RowDataPacket[]>('SELECT client_msg_id FROM messages WHERE conversation_id = ? ORDER BY seq', [conversationId]);
  return rows.map((r) => String(r.client_msg_id));
}

/** Takes the conversation's row lock in a transaction of its own: the committer's seq UPDATE waits behind it. */
async function lockConversation(conversationId: number): Promise<PoolConnection> {
  const conn = await env.pool.getConnection();
  await conn.query('START TRANSACTION');
  await conn.query('SELECT id FROM conversations WHERE id = ? FOR UPDATE', [conversationId]);
  return conn;
}

/** True once the committer's seq UPDATE runs in this test's database (while the lock is held, it waits there). */
async function someoneWaits(): Promise<boolean> {
  const [rows] = await env.pool.query<RowDataPacket[]>("SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE DB = DATABASE() AND INFO LIKE 'UPDATE conversations SET max_seq%'");
  return Number(rows[0]?.n) > 0;
}

function answerTo(raw: RawSocket, reqId: number): ServerMessage | undefined {
  return raw.frames.find((f) => (f.msg as { reqId?: number }).reqId === reqId);
}

describe('CommitLanes bounds', () => {
  it('refuses past the count or the bytes per lane, frees both when a batch starts, and an idle lane takes any one entry', async () => {
    const held: (() => void)[] = [];
    const release = () => held.shift()?.();
    const batches: number[][] = [];
    const lanes = new CommitLanes<number>({
      lanes: 2,
      intervalMs: 0,
      maxBatch: 100,
      maxPending: 3,
      maxPendingBytes: 250,
      sizeOf: (n) => n,
      commit: (batch) => {
        batches.push(batch);
        return new Promise<void>((resolve) => held.push(resolve));
      },
    });
    assert.equal(lanes.tryAdd(0, 1000), true, 'an idle lane takes one entry above the byte bound');
    await waitFor(() => batches.length === 1, 'the first batch');
    // The batch commits (held); the lane fills again up to its bounds.
    assert.deepEqual([lanes.tryAdd(0, 100), lanes.tryAdd(0, 100), lanes.tryAdd(0, 100)], [true, true, false], 'the third would pass 250 bytes');
    assert.deepEqual([lanes.tryAdd(0, 10), lanes.tryAdd(0, 10)], [true, false], 'three entries at most');
    assert.equal(lanes.tryAdd(1, 100), true, 'another lane has its own bounds');
    assert.equal(lanes.queuedBytes, 310);
    assert.ok(lanes.backlogMs(0) >= 0);
    await waitFor(() => batches.length === 2, 'lane 1 to start its batch');
    assert.deepEqual(batches[1], [100]);
    release(); // lane 0's first batch
    await waitFor(() => batches.length === 3, 'lane 0 to start its next batch');
    assert.deepEqual(batches[2], [100, 100, 10]);
    assert.equal(lanes.hasRoomFor(0, 250), true, 'the batch took its bytes with it');
    release();
    release();
    await lanes.flush();
  });
});

describe('the commit lane bound', () => {
  let server: RunningServer;

  before(async () => {
    const config: ParleyConfig = { ...env.config, chat: { ...env.config.chat, commitMaxPending: 5, commitIntervalMs: 1 } };
    server = await startChatServer({ config, logger, id: 'chat1' });
  });

  after(async () => {
    await server?.stop();
  });

  it('refuses sends past it OVERLOADED with retryAfterMs, stores none of them, and takes them again once the lane drains', async () => {
    const a = await userWithToken(env.pool, env.redis);
    const b = await createUser(env.pool);
    const conv = await befriend(env.pool, a.uid, b);
    const raw = await RawSocket.open(server.ready.tcpPort as number);
    assert.equal((await raw.login(a.uid, a.token)).id, MsgId.LoginResp);
    const send = (reqId: number, id = reqId) => encodeFrame(MsgId.SendReq, { reqId, conversationId: conv, clientMsgId: `m${id}`, type: 'text', body: `message ${id}` });

    const lock = await lockConversation(conv);
    try {
      // The first send's batch waits for the row lock; the lane then holds 5 more, and refuses the rest.
      raw.write(send(1));
      await waitFor(someoneWaits, 'the batch to wait for the row lock');
      raw.write(Buffer.concat(Array.from({ length: 20 }, (_, i) => send(i + 2))));
      await waitFor(() => raw.frames.filter((f) => f.id === MsgId.Error).length === 15, 'fifteen refusals');
      const refused = raw.frames.filter((f) => f.id === MsgId.Error);
      assert.deepEqual(
        refused.map((f) => (f.msg as { reqId?: number }).reqId),
        Array.from({ length: 15 }, (_, i) => i + 7),
        'sends 2–6 wait in the lane; 7–21 are refused',
      );
      for (const f of refused) {
        assert.ok(f.id === MsgId.Error);
        assert.equal(f.msg.code, 'OVERLOADED');
        const { retryAfterMs } = f.msg.details as { retryAfterMs: number };
        assert.ok(Number.isInteger(retryAfterMs) && retryAfterMs >= 100 && retryAfterMs <= 10_000, `retryAfterMs ${retryAfterMs}`);
      }
      assert.equal(raw.frames.filter((f) => f.id === MsgId.SendAck).length, 0, 'nothing acked while the lock is held');
    } finally {
      await lock.query('ROLLBACK');
      lock.release();
    }
    await waitFor(() => raw.frames.filter((f) => f.id === MsgId.SendAck).length === 6, 'the six acks');
    assert.deepEqual(await storedIds(conv), ['m1', 'm2', 'm3', 'm4', 'm5', 'm6'], 'only the sends that were taken are stored');

    // The client sends the refused ones again with the same clientMsgIds, as a client would: what
    // is refused again (the lane still holds five) waits retryAfterMs. All are stored, once each.
    let left = Array.from({ length: 15 }, (_, i) => i + 7);
    let reqId = 100;
    for (let round = 0; left.length > 0 && round < 10; round++) {
      const sent = left.map((id) => ({ id, reqId: ++reqId }));
      raw.write(Buffer.concat(sent.map((s) => send(s.reqId, s.id))));
      await waitFor(() => sent.every((s) => answerTo(raw, s.reqId) !== undefined), 'answers to the resends');
      const again = sent.filter((s) => answerTo(raw, s.reqId)?.id !== MsgId.SendAck);
      for (const s of again) assert.equal((answerTo(raw, s.reqId)?.msg as { code?: string }).code, 'OVERLOADED');
      left = again.map((s) => s.id);
      const wait = Math.max(0, ...again.map((s) => ((answerTo(raw, s.reqId)?.msg as { details?: { retryAfterMs?: number } }).details?.retryAfterMs ?? 0)));
      await new Promise((r) => setTimeout(r, wait));
    }
    assert.deepEqual(left, [], 'every refused send got in');
    assert.deepEqual(await storedIds(conv), Array.from({ length: 21 }, (_, i) => `m${i + 1}`));
    raw.destroy();
  });
});

describe('push bounds', () => {
  const directory: ChatInstanceConfig[] = [];
  let chat1: PeerNode;
  let chat2: PeerNode;
  let commitPool: MysqlPool;

  before(async () => {
    // chat1's outbox to a peer holds 2 pushes (queued or in flight) in one call at a time.
    chat1 = await startPeerNode(env, 'chat1', directory, logger, { maxQueuedPushes: 2, maxInFlight: 1 });
    chat2 = await startPeerNode(env, 'chat2', directory, logger);
    commitPool = createMysqlPool(env.config.mysql, { multipleStatements: true });
  });

  after(async () => {
    chat2?.releaseDelivers();
    await Promise.allSettled([chat1, chat2].map((n) => n?.stop()));
    await commitPool?.end();
  });

  let n = 0;
  const payload = (body: string) => {
    const m: ChatMessage = { conversationId: 1, seq: ++n, senderUid: 1, clientMsgId: `p${n}`, type: 'text', body, serverTime: Date.now() };
    return Payload.of(MsgId.MessagePush, m);
  };

  it('a peer outbox past its bound drops pushes, counted and not handed back; one call in flight, the rest leave together', async () => {
    const user = await userWithToken(env.pool, env.redis);
    const session = await chat2.connect(user);
    const peers = new PeerClients({ selfId: 'chat1', redis: env.redis, configured: directory, credentials: testClusterCredentials(), logger, maxQueuedPushes: 3, maxInFlight: 1 });
    const [p1, p2, p3, p4, p5] = ['one', 'two', 'three', 'four', 'five'].map(payload) as Payload[];
    const calls = chat2.delivers.length;
    chat2.holdDelivers();
    try {
      const first = peers.deliver('chat2', [{ payload: p1 as Payload, uids: [user.uid] }]);
      await waitFor(() => chat2.delivers.length === calls + 1, 'the first call to arrive');
      const rest = peers.deliver(
        'chat2',
        [p2, p3, p4, p5].map((p) => ({ payload: p as Payload, uids: [user.uid] })),
      );
      assert.equal(peers.dropped, 2, 'four and five do not fit beside one in flight and two queued');
      assert.deepEqual(peers.outboxLoad('chat2').calls, 1);
      assert.equal(peers.outboxLoad('chat2').pushes, 3);
      chat2.releaseDelivers();
      assert.deepEqual(await first, []);
      assert.deepEqual(await rest, [], 'dropped pushes are not handed back for a resend');
      await peers.drain();
      assert.deepEqual(
        chat2.delivers.slice(calls).map((c) => c.pushes.length),
        [1, 2],
        'two and three waited for the call in flight and left as one',
      );
      await waitFor(() => session.frames.length === 3, 'three frames');
      assert.deepEqual(session.frames, [p1, p2, p3].map((p) => (p as Payload).frame));
      assert.deepEqual(peers.outboxLoad('chat2'), { pushes: 0, bytes: 0, calls: 0 });
    } finally {
      chat2.releaseDelivers();
      peers.close();
    }
  });

  it('the notifier chain past its bound drops pushes to other servers, counted; local users still get theirs', async () => {
    const [away, here] = [await userWithToken(env.pool, env.redis), await userWithToken(env.pool, env.redis)];
    const remote = await chat2.connect(away);
    const local = await chat1.connect(here);
    const notifier = new ClusterNotifier({ serverId: 'chat1', registry: chat1.registry, routes: new RouteStore(env.redis, 'chat1', 60_000), peers: chat1.peers, logger, redis: env.redis, reportIntervalSec: 1, maxPending: 2 });
    const pushes = ['a', 'b', 'c', 'd'].map(payload);
    // Handed in within one tick: the first two wait for their route lookup, the other two find the chain full.
    await Promise.all(pushes.map((p) => notifier.deliver([{ payload: p, uids: [away.uid, here.uid] }])));
    assert.equal(notifier.dropped, 2);
    assert.equal(notifier.backlog, 0);
    await chat1.peers.drain();
    await waitFor(() => remote.frames.length === 2 && local.frames.length === 4, 'the frames');
    assert.deepEqual(remote.frames, pushes.slice(0, 2).map((p) => p.frame));
    assert.deepEqual(local.frames, pushes.map((p) => p.frame), 'local delivery does not wait in the chain');
  });

  it('pushes dropped at a full outbox leave no acked message behind: the recipient pulls every one', async () => {
    const [a, b] = [await createUser(env.pool), await userWithToken(env.pool, env.redis)];
    const conv = await befriend(env.pool, a, b.uid);
    const receiver = await chat2.connect(b);
    const committer = new MessageCommitter({ pool: commitPool, intervalMs: 2, maxBatch: 256, logger, onCommitted: pushCommitted(chat1.notifier, logger) });
    const droppedBefore = chat1.peers.dropped;
    chat2.holdDelivers();
    let acks;
    try {
      acks = await Promise.all(Array.from({ length: 10 }, (_, i) => committer.submit({ senderUid: a, conversationId: conv, clientMsgId: `d${i}`, type: 'text', body: `dropped? ${i}` })));
      await chat1.notifier.drain();
      assert.equal(chat1.peers.dropped - droppedBefore, 8, 'chat1 holds two pushes for chat2 and drops the other eight');
    } finally {
      chat2.releaseDelivers();
    }
    await chat1.peers.drain();
    await waitFor(() => receiver.frames.length === 2, 'the two pushes that fit');
    const pulled = await new SyncService(env.pool).pull({ uid: b.uid, sessionId: '', serverId: 'chat2' }, { reqId: 1, conversationId: conv, afterSeq: 0 });
    assert.deepEqual(
      pulled.messages.map((m) => [m.seq, m.clientMsgId]),
      acks.map((r) => [r.message.seq, r.message.clientMsgId]),
      'every acked message, in seq order',
    );
    await committer.close();
  });
});
