import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RowDataPacket } from 'mysql2/promise';
import { createMysqlPool, type MysqlPool, type ParleyError } from '@parley/common';
import { createTestEnv, type TestEnv } from '@parley/common/testing';
import { FriendService } from '../src/friends/friend-service';
import { MessageCommitter, type SendCommand } from '../src/messaging/message-committer';
import { befriend, createUser } from './support/fixtures';

// Issue 11 item 12: once an unfriend has committed, no direct message of the pair is committed —
// even by a send whose target was authorized (remembered or read) before the unfriend.
let env: TestEnv;
let commitPool: MysqlPool;

before(async () => {
  env = await createTestEnv();
  commitPool = createMysqlPool(env.config.mysql, { multipleStatements: true });
});

after(async () => {
  await commitPool.end();
  await env.cleanup();
});

function text(senderUid: number, target: { to: number } | { conversationId: number }, clientMsgId: string): SendCommand {
  return { senderUid, ...target, clientMsgId, type: 'text', body: clientMsgId };
}

async function storedSeqs(conversationId: number): Promise<number[]> {
  const [rows] = await env.pool.query<RowDataPacket[]>('SELECT seq FROM messages WHERE conversation_id = ? ORDER BY seq', [conversationId]);
  return rows.map((r) => Number(r.seq));
}

/** Resolves once a batch of this test database is inside its write transaction, waiting for the seq row lock. */
async function batchWaiting(): Promise<void> {
  for (let i = 0; i < 500; i++) {
    const [rows] = await env.pool.query<RowDataPacket[]>(
      `SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST
        WHERE DB = DATABASE() AND ID <> CONNECTION_ID() AND INFO LIKE '%UPDATE conversations SET max_seq%'`,
    );
    if (Number(rows[0]?.n) >= 1) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('no batch waits for the conversation row');
}

/**
 * Sends authorized before the unfriend are held inside their write transaction (the conversation
 * row is locked by a blocker) while the unfriend commits; then released.
 */
async function raceUnfriend(remembered: boolean): Promise<void> {
  const [a, b] = [await createUser(env.pool), await createUser(env.pool)];
  const conv = await befriend(env.pool, a, b);
  const committer = new MessageCommitter({ pool: commitPool, intervalMs: 2, maxBatch: 256, logger: env.logger });
  if (remembered) {
    // The committer learns both addresses: the next batch takes the one-round-trip path.
    await committer.submit(text(a, { to: b }, 'learn-to'));
    await committer.submit(text(b, { conversationId: conv }, 'learn-id'));
  }
  const before = await storedSeqs(conv);
  const blocker = await env.pool.getConnection();
  try {
    await blocker.beginTransaction();
    await blocker.query('SELECT max_seq FROM conversations WHERE id = ? FOR UPDATE', [conv]);
    const sends = Promise.allSettled([committer.submit(text(a, { to: b }, 'late-to')), committer.submit(text(b, { conversationId: conv }, 'late-id'))]);
    await batchWaiting();
    await new FriendService(env.pool, env.logger).deleteFriend(a, b);
    await blocker.commit();
    const results = await sends;
    for (const r of results) {
      assert.equal(r.status, 'rejected', 'no send commits after the unfriend');
      assert.equal(((r as PromiseRejectedResult).reason as ParleyError).code, 'NOT_FRIENDS');
    }
  } finally {
    blocker.release();
  }
  assert.deepEqual(await storedSeqs(conv), before, 'nothing stored after the unfriend');
  const [rows] = await env.pool.query<RowDataPacket[]>('SELECT max_seq FROM conversations WHERE id = ?', [conv]);
  assert.equal(Number(rows[0]?.max_seq), before.length, 'no seq used');
}

describe('unfriend racing sends', () => {
  it('a remembered pair: sends held in their transaction while the unfriend commits are refused', async () => {
    await raceUnfriend(true);
  });

  it('a pair read just before the unfriend (careful path): refused too', async () => {
    await raceUnfriend(false);
  });
});
