import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RowDataPacket } from 'mysql2/promise';
import type { ParleyError} from '@parley/common';
import { createMysqlPool, type MysqlPool } from '@parley/common';
import { createTestEnv, type TestEnv } from '@parley/common/testing';
import { FriendService } from '../src/friends/friend-service';
import { MessageCommitter, type SendCommand, type SendResult } from '../src/messaging/message-committer';
import { RESERVE_CHUNK } from '../src/messaging/message-writer';
import { befriend, createGroup, createUser } from './support/fixtures';

let env: TestEnv;
/** The committer's pool: multi-statement, as the chat server creates it. */
let commitPool: MysqlPool;

before(async () => {
  env = await createTestEnv();
  commitPool = createMysqlPool(env.config.mysql, { multipleStatements: true });
});

after(async () => {
  await commitPool.end();
  await env.cleanup();
});

function committer(overrides: Partial<ConstructorParameters<typeof MessageCommitter>[0]> = {}): MessageCommitter {
  return new MessageCommitter({ pool: commitPool, intervalMs: 2, maxBatch: 256, logger: env.logger, ...overrides });
}

async function storedSeqs(conversationId: number): Promise<number[]> {
  const [rows] = await env.pool.query<RowDataPacket[]>('SELECT seq FROM messages WHERE conversation_id = ? ORDER BY seq', [conversationId]);
  return rows.map((r) => Number(r.seq));
}

async function maxSeq(conversationId: number): Promise<number> {
  const [rows] = await env.pool.query<RowDataPacket[]>('SELECT max_seq FROM conversations WHERE id = ?', [conversationId]);
  return Number(rows[0]?.max_seq);
}

function text(senderUid: number, target: { to: number } | { conversationId: number }, clientMsgId: string, body = clientMsgId): SendCommand {
  return { senderUid, ...target, clientMsgId, type: 'text', body };
}

function range(n: number, from = 1): number[] {
  return Array.from({ length: n }, (_, i) => i + from);
}

describe('MessageCommitter', () => {
  it('stores a message to a friend and acks the seq it was stored with', async () => {
    const [a, b] = [await createUser(env.pool), await createUser(env.pool)];
    const conv = await befriend(env.pool, a, b);
    const c = committer();
    const before = Date.now();
    const r = await c.submit(text(a, { to: b }, 'm1', 'hello'));
    assert.equal(r.duplicate, false);
    assert.equal(r.message.conversationId, conv);
    assert.equal(r.message.seq, 1);
    assert.deepEqual(r.recipients, [b]);
    assert.ok(r.message.serverTime >= before - 5 && r.message.serverTime <= Date.now() + 5);
    const [rows] = await env.pool.query<RowDataPacket[]>('SELECT sender_uid, body, created_at FROM messages WHERE conversation_id = ? AND seq = 1', [conv]);
    assert.equal(rows[0]?.body, 'hello');
    assert.equal(Number(rows[0]?.sender_uid), a);
    assert.equal((rows[0]?.created_at as Date).getTime(), r.message.serverTime);
    assert.equal(await maxSeq(conv), 1);
  });

  it('refuses non-friends and non-members without storing anything', async () => {
    const [a, b, d] = [await createUser(env.pool), await createUser(env.pool), await createUser(env.pool)];
    const conv = await befriend(env.pool, a, b);
    const c = committer();
    const results = await Promise.allSettled([
      c.submit(text(d, { to: a }, 'x1')),
      c.submit(text(d, { conversationId: conv }, 'x2')),
      c.submit(text(a, { to: a }, 'x3')),
      c.submit(text(a, { conversationId: 999999999 }, 'x4')),
      c.submit(text(a, { conversationId: conv }, 'ok')),
    ]);
    const codes = results.map((r) => (r.status === 'rejected' ? (r.reason as ParleyError).code : 'ok'));
    assert.deepEqual(codes, ['NOT_FRIENDS', 'NOT_MEMBER', 'NOT_FRIENDS', 'NOT_MEMBER', 'ok']);
    assert.deepEqual(await storedSeqs(conv), [1]);
    const [rows] = await env.pool.query<RowDataPacket[]>('SELECT COUNT(*) AS n FROM messages WHERE sender_uid = ?', [d]);
    assert.equal(Number(rows[0]?.n), 0);
  });

  it('refuses a direct conversation once the friendship is gone', async () => {
    const [a, b] = [await createUser(env.pool), await createUser(env.pool)];
    const conv = await befriend(env.pool, a, b);
    await env.pool.query('DELETE FROM friendships WHERE user_id IN (?, ?)', [a, b]);
    const c = committer();
    await assert.rejects(c.submit(text(a, { conversationId: conv }, 'gone')), (err: ParleyError) => err.code === 'NOT_FRIENDS');
    await assert.rejects(c.submit(text(a, { to: b }, 'gone2')), (err: ParleyError) => err.code === 'NOT_FRIENDS');
    assert.equal(await maxSeq(conv), 0);
  });

  it('assigns gap-free seqs under concurrent sends from several senders and servers', async () => {
    const members: number[] = [];
    for (let i = 0; i < 6; i++) members.push(await createUser(env.pool));
    const group = await createGroup(env.pool, members);
    // Two committers on separate pools stand for two chat servers writing the same conversation.
    const pool2 = createMysqlPool(env.config.mysql, { multipleStatements: true });
    try {
      const servers = [committer({ maxBatch: 7, lanes: 3 }), committer({ pool: pool2, maxBatch: 13, intervalMs: 0, lanes: 2 })];
      const perSender = 60;
      const sends: Promise<SendResult>[] = [];
      for (let n = 0; n < perSender; n++) {
        members.forEach((uid, i) => {
          sends.push((servers[(n + i) % 2] as MessageCommitter).submit(text(uid, { conversationId: group }, `c-${uid}-${n}`)));
        });
        if (n % 10 === 0) await new Promise((r) => setTimeout(r, 1));
      }
      const results = await Promise.all(sends);
      const total = perSender * members.length;
      const seqs = results.map((r) => r.message.seq).sort((x, y) => x - y);
      assert.deepEqual(seqs, range(total), 'every ack has a distinct seq, 1..N');
      assert.deepEqual(await storedSeqs(group), range(total), 'stored seqs are 1..N');
      assert.equal(await maxSeq(group), total);
      // Each server keeps one sender's messages in submission order.
      for (const uid of members) {
        for (const server of [0, 1]) {
          const mine = results.filter((r, k) => r.message.senderUid === uid && (Math.floor(k / members.length) + members.indexOf(uid)) % 2 === server);
          const order = mine.map((r) => r.message.seq);
          assert.deepEqual(order, [...order].sort((x, y) => x - y));
        }
      }
      for (const r of results) assert.deepEqual([...r.recipients].sort(), members.filter((m) => m !== r.message.senderUid).sort());
    } finally {
      await pool2.end();
    }
  });

  it('answers a resend with the original ack, within a batch, across batches and across servers', async () => {
    const [a, b] = [await createUser(env.pool), await createUser(env.pool)];
    const conv = await befriend(env.pool, a, b);
    const c = committer({ intervalMs: 5 });
    // Same batch: both submitted in the same tick.
    const [first, again] = await Promise.all([c.submit(text(a, { to: b }, 'same')), c.submit(text(a, { to: b }, 'same'))]);
    assert.equal(first.duplicate, false);
    assert.equal(again.duplicate, true);
    assert.equal(again.message.seq, first.message.seq);
    assert.deepEqual(again.recipients, []);
    // Later batch, addressed by conversation id this time: still the original.
    const later = await c.submit(text(a, { conversationId: conv }, 'same', 'different body'));
    assert.equal(later.duplicate, true);
    assert.equal(later.message.seq, first.message.seq);
    assert.equal(later.message.body, 'same');
    assert.equal(later.message.serverTime, first.message.serverTime);
    // The same key on two servers at once: one row, one seq for both.
    const pool2 = createMysqlPool(env.config.mysql, { multipleStatements: true });
    try {
      const other = committer({ pool: pool2 });
      const [x, y] = await Promise.all([c.submit(text(a, { to: b }, 'race')), other.submit(text(a, { to: b }, 'race'))]);
      assert.equal(x.message.seq, y.message.seq);
      assert.equal([x, y].filter((r) => r.duplicate).length, 1);
    } finally {
      await pool2.end();
    }
    assert.deepEqual(await storedSeqs(conv), [1, 2]);
    // Ids are compared byte for byte: letter case makes a different message.
    const [lower, upper] = await Promise.all([c.submit(text(a, { to: b }, 'case-x')), c.submit(text(a, { to: b }, 'CASE-X'))]);
    assert.notEqual(lower.message.seq, upper.message.seq);
    assert.equal([lower, upper].filter((r) => r.duplicate).length, 0);
    assert.deepEqual(await storedSeqs(conv), [1, 2, 3, 4]);
  });

  it('takes the one-round-trip path for known pairs and still catches resends and lost friendships', async () => {
    const [a, b] = [await createUser(env.pool), await createUser(env.pool)];
    const conv = await befriend(env.pool, a, b);
    const c = committer();
    // The first batch learns the pair; the next ones use the remembered conversation.
    const first = await c.submit(text(a, { to: b }, 'k1'));
    const second = await c.submit(text(a, { to: b }, 'k2'));
    assert.deepEqual([first.message.seq, second.message.seq], [1, 2]);
    assert.equal(second.message.conversationId, conv);
    assert.deepEqual(second.recipients, [b]);
    // A batch mixing a resend of a stored message with new ones: the resend gets its original ack.
    const [again, k3, k4] = await Promise.all([
      c.submit(text(a, { to: b }, 'k1', 'other body')),
      c.submit(text(a, { to: b }, 'k3')),
      c.submit(text(a, { to: b }, 'k4')),
    ]);
    assert.equal(again.duplicate, true);
    assert.equal(again.message.seq, 1);
    assert.equal(again.message.body, 'k1');
    assert.deepEqual([k3.message.seq, k4.message.seq], [3, 4]);
    // Addressed by conversation id: learned, then remembered (the peer is the push recipient).
    const byId = [await c.submit(text(b, { conversationId: conv }, 'i1')), await c.submit(text(b, { conversationId: conv }, 'i2'))];
    assert.deepEqual(byId.map((r) => r.message.seq), [5, 6]);
    assert.deepEqual(byId[1]?.recipients, [a]);
    // The friendship ends (as the friend service ends it, raising the conversation's post_epoch):
    // the remembered pair is refused, nothing stored, no seq used.
    await new FriendService(env.pool, env.logger).deleteFriend(a, b);
    await assert.rejects(c.submit(text(a, { to: b }, 'k5')), (err: ParleyError) => err.code === 'NOT_FRIENDS');
    await assert.rejects(c.submit(text(a, { to: b }, 'k6')), (err: ParleyError) => err.code === 'NOT_FRIENDS');
    await assert.rejects(c.submit(text(b, { conversationId: conv }, 'i3')), (err: ParleyError) => err.code === 'NOT_FRIENDS');
    assert.deepEqual(await storedSeqs(conv), [1, 2, 3, 4, 5, 6]);
    assert.equal(await maxSeq(conv), 6);
  });

  it('cuts a burst of large messages into batches that fit one statement', async () => {
    const [a, b] = [await createUser(env.pool), await createUser(env.pool)];
    const conv = await befriend(env.pool, a, b);
    const c = committer({ maxBatch: 2048, intervalMs: 20 });
    // 1200 × 16 KiB ≈ 19 MiB: more than MariaDB's default max_allowed_packet (16 MiB) in one statement.
    const big = 'x'.repeat(16 * 1024);
    const results = await Promise.all(range(1200).map((n) => c.submit(text(a, { to: b }, `big-${n}`, big))));
    assert.deepEqual(results.map((r) => r.message.seq), range(1200));
    assert.equal(await maxSeq(conv), 1200);
    assert.deepEqual(await storedSeqs(conv), range(1200));
  });

  it('reserves seqs for more conversations than one UPDATE names, and a revoked one in a later chunk stops only itself', async () => {
    // RESERVE_CHUNK + 8 pairs: the batch's reservation takes two UPDATE statements.
    const pairs: { a: number; b: number; conv: number }[] = [];
    for (let i = 0; i < RESERVE_CHUNK + 8; i++) {
      const [a, b] = [await createUser(env.pool), await createUser(env.pool)];
      pairs.push({ a, b, conv: await befriend(env.pool, a, b) });
    }
    const batches: number[] = [];
    const c = committer({ maxBatch: 1024, intervalMs: 50, onCommitted: (r) => batches.push(r.length) });
    const first = await Promise.all(pairs.flatMap(({ a, b }, i) => [c.submit(text(a, { to: b }, `wide-${i}-1`)), c.submit(text(b, { to: a }, `wide-${i}-2`))]));
    assert.deepEqual(batches, [pairs.length * 2], 'one batch');
    for (const [i, { conv }] of pairs.entries()) {
      assert.deepEqual([first[2 * i]?.message.seq, first[2 * i + 1]?.message.seq], [1, 2]);
      assert.deepEqual(await storedSeqs(conv), [1, 2]);
    }
    // The highest conversation id lands in the last chunk: its epoch moves on, the others' do not.
    const last = pairs.reduce((x, y) => (y.conv > x.conv ? y : x));
    await new FriendService(env.pool, env.logger).deleteFriend(last.a, last.b);
    const second = await Promise.allSettled(pairs.map(({ a, b }, i) => c.submit(text(a, { to: b }, `wide-${i}-3`))));
    for (const [i, p] of pairs.entries()) {
      const r = second[i] as PromiseSettledResult<SendResult>;
      if (p === last) {
        assert.equal(r.status === 'rejected' && (r.reason as ParleyError).code, 'NOT_FRIENDS');
        assert.deepEqual(await storedSeqs(p.conv), [1, 2]);
      } else {
        assert.equal(r.status === 'fulfilled' && r.value.message.seq, 3);
        assert.deepEqual(await storedSeqs(p.conv), [1, 2, 3]);
      }
    }
  });

  it('writes a burst as one transaction and splits at maxBatch', async () => {
    const [a, b] = [await createUser(env.pool), await createUser(env.pool)];
    const conv = await befriend(env.pool, a, b);
    const batches: number[] = [];
    const c = committer({ maxBatch: 10, intervalMs: 50, onCommitted: (r) => batches.push(r.length) });
    await Promise.all(range(35).map((n) => c.submit(text(a, { to: b }, `burst-${n}`))));
    assert.deepEqual(batches, [10, 10, 10, 5]);
    assert.deepEqual(await storedSeqs(conv), range(35));
    const single: number[] = [];
    const d = committer({ maxBatch: 256, intervalMs: 20, onCommitted: (r) => single.push(r.length) });
    await Promise.all(range(40).map((n) => d.submit(text(b, { to: a }, `one-${n}`))));
    assert.deepEqual(single, [40]);
  });

  it('acks only after the commit: a send waits while its conversation is locked', async () => {
    const [a, b] = [await createUser(env.pool), await createUser(env.pool)];
    const conv = await befriend(env.pool, a, b);
    const blocker = await env.pool.getConnection();
    try {
      await blocker.beginTransaction();
      await blocker.query('SELECT max_seq FROM conversations WHERE id = ? FOR UPDATE', [conv]);
      const c = committer();
      let settled = false;
      const pending = c.submit(text(a, { to: b }, 'blocked')).finally(() => {
        settled = true;
      });
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(settled, false, 'no ack while the transaction cannot commit');
      assert.deepEqual(await storedSeqs(conv), []);
      await blocker.commit();
      const r = await pending;
      assert.equal(r.message.seq, 1);
      assert.deepEqual(await storedSeqs(conv), [1]);
    } finally {
      blocker.release();
    }
  });

  it('rejects, never acks, what a failing transaction did not store, and leaves no seq gap', async () => {
    const [a, b] = [await createUser(env.pool), await createUser(env.pool)];
    const conv = await befriend(env.pool, a, b);
    // A real failure inside the transaction: the INSERT of a poisoned body raises an error.
    await env.pool.query(`CREATE TRIGGER poison_${conv} BEFORE INSERT ON messages FOR EACH ROW
      BEGIN IF NEW.body = 'poison-${conv}' THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'poisoned'; END IF; END`);
    try {
      const c = committer({ intervalMs: 20 });
      const results = await Promise.allSettled([
        c.submit(text(a, { to: b }, 'p1')),
        c.submit(text(a, { to: b }, 'p2', `poison-${conv}`)),
        c.submit(text(a, { to: b }, 'p3')),
        c.submit(text(a, { to: b }, 'p4')),
      ]);
      assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
      const failed = results[1] as PromiseRejectedResult;
      assert.equal((failed.reason as ParleyError).code, 'UNAVAILABLE');
      const acked = results.filter((r): r is PromiseFulfilledResult<SendResult> => r.status === 'fulfilled').map((r) => r.value.message.seq);
      assert.deepEqual(acked, [1, 2, 3]);
      assert.deepEqual(await storedSeqs(conv), [1, 2, 3]);
      assert.equal(await maxSeq(conv), 3, 'the rolled-back reservation left no gap');
      const [rows] = await env.pool.query<RowDataPacket[]>('SELECT COUNT(*) AS n FROM messages WHERE sender_uid = ? AND client_msg_id = ?', [a, 'p2']);
      assert.equal(Number(rows[0]?.n), 0);
    } finally {
      await env.pool.query(`DROP TRIGGER poison_${conv}`);
    }
  });

  it('rejects every send when the database is unreachable', async () => {
    const dead: MysqlPool = createMysqlPool({ ...env.config.mysql, port: 1 }, { connectTimeout: 500, multipleStatements: true });
    try {
      const c = committer({ pool: dead, attempts: 2 });
      const results = await Promise.allSettled([c.submit(text(1, { to: 2 }, 'a')), c.submit(text(1, { to: 2 }, 'b'))]);
      for (const r of results) {
        assert.equal(r.status, 'rejected');
        assert.equal(((r as PromiseRejectedResult).reason as ParleyError).code, 'UNAVAILABLE');
      }
    } finally {
      await dead.end();
    }
  });

  it('flush() settles everything queued and close() refuses new sends', async () => {
    const [a, b] = [await createUser(env.pool), await createUser(env.pool)];
    const conv = await befriend(env.pool, a, b);
    const c = committer({ intervalMs: 1000 });
    const sends = range(5).map((n) => c.submit(text(a, { to: b }, `f-${n}`)));
    await c.close();
    assert.deepEqual((await Promise.all(sends)).map((r) => r.message.seq), range(5));
    assert.deepEqual(await storedSeqs(conv), range(5));
    await assert.rejects(c.submit(text(a, { to: b }, 'late')), (err: ParleyError) => err.code === 'UNAVAILABLE');
  });
});
