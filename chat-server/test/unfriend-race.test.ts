import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RowDataPacket } from 'mysql2/promise';
import { createMysqlPool, type MysqlPool, type ParleyError } from '@parley/common';
import { createTestEnv, type TestEnv } from '@parley/common/testing';
import { BlockService } from '../src/friends/block-service';
import { FriendService } from '../src/friends/friend-service';
import { GroupService } from '../src/groups/group-service';
import { isStaleAuthorization } from '../src/messaging/commit-errors';
import { MessageCommitter, type SendCommand } from '../src/messaging/message-committer';
import { writeBatch } from '../src/messaging/message-writer';
import { SendAuthorizer } from '../src/messaging/send-authorizer';
import type { Outcome } from '../src/messaging/send-command';
import { befriend, createUser } from './support/fixtures';

// Issue 11 item 12: once an unfriend, a block or a removal from a group has committed, no message
// of that sender to that conversation is committed — even by a send whose target was authorized
// (remembered or read) before. The writer checks the conversation's post_epoch under its row lock;
// these tests fail when a revocation does not raise it (db/post-epoch.ts).
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

function committer(): MessageCommitter {
  return new MessageCommitter({ pool: commitPool, intervalMs: 2, maxBatch: 256, logger: env.logger });
}

async function storedSeqs(conversationId: number): Promise<number[]> {
  const [rows] = await env.pool.query<RowDataPacket[]>('SELECT seq FROM messages WHERE conversation_id = ? ORDER BY seq', [conversationId]);
  return rows.map((r) => Number(r.seq));
}

async function maxSeq(conversationId: number): Promise<number> {
  const [rows] = await env.pool.query<RowDataPacket[]>('SELECT max_seq FROM conversations WHERE id = ?', [conversationId]);
  return Number(rows[0]?.max_seq);
}

async function refusedWith(send: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(send, (err: ParleyError) => err.code === code);
}

/** A friend pair whose both addresses the committer has learned: its next batches take the fast path. */
async function rememberedPair(c: MessageCommitter): Promise<{ a: number; b: number; conv: number }> {
  const [a, b] = [await createUser(env.pool), await createUser(env.pool)];
  const conv = await befriend(env.pool, a, b);
  await c.submit(text(a, { to: b }, 'learn-to'));
  await c.submit(text(b, { conversationId: conv }, 'learn-id'));
  return { a, b, conv };
}

describe('revocations racing sends', () => {
  it('a remembered pair is refused once the unfriend has committed; nothing stored, no seq used', async () => {
    const c = committer();
    const { a, b, conv } = await rememberedPair(c);
    await new FriendService(env.pool, env.logger).deleteFriend(a, b);
    await refusedWith(c.submit(text(a, { to: b }, 'late-to')), 'NOT_FRIENDS');
    await refusedWith(c.submit(text(b, { conversationId: conv }, 'late-id')), 'NOT_FRIENDS');
    assert.deepEqual(await storedSeqs(conv), [1, 2]);
    assert.equal(await maxSeq(conv), 2);
  });

  it('a remembered pair is refused once a block has committed', async () => {
    const c = committer();
    const { a, b, conv } = await rememberedPair(c);
    await new BlockService(env.pool, env.logger).block(b, a);
    await refusedWith(c.submit(text(a, { to: b }, 'late-to')), 'BLOCKED');
    await refusedWith(c.submit(text(b, { conversationId: conv }, 'late-id')), 'BLOCKED');
    assert.deepEqual(await storedSeqs(conv), [1, 2]);
  });

  it('a remembered group member is refused once removed; the others go on', async () => {
    const c = committer();
    const [owner, gone, stays] = [await createUser(env.pool), await createUser(env.pool), await createUser(env.pool)];
    for (const member of [gone, stays]) await befriend(env.pool, owner, member);
    const groups = new GroupService({ pool: env.pool, logger: env.logger, maxMembers: 50 });
    const { answer: group } = await groups.create(owner, 'g', '', [gone, stays]);
    await c.submit(text(gone, { conversationId: group.conversationId }, 'learn-gone'));
    await c.submit(text(stays, { conversationId: group.conversationId }, 'learn-stays'));
    const before = await maxSeq(group.conversationId);
    await groups.remove(owner, group.groupId, gone);
    const removedAt = await maxSeq(group.conversationId);
    assert.equal(removedAt, before + 1, 'the removal appended its system message');
    await refusedWith(c.submit(text(gone, { conversationId: group.conversationId }, 'late-gone')), 'NOT_MEMBER');
    const kept = await c.submit(text(stays, { conversationId: group.conversationId }, 'after'));
    assert.equal(kept.message.seq, removedAt + 1);
    assert.deepEqual(kept.recipients, [owner], 'the removed member gets no push');
  });

  it('a send authorized just before the unfriend: its write refuses it and stores nothing', async () => {
    const [a, b] = [await createUser(env.pool), await createUser(env.pool)];
    const conv = await befriend(env.pool, a, b);
    const cmds = [text(a, { to: b }, 'read-before')];
    const conn = await commitPool.getConnection();
    try {
      const outcomes: (Outcome | undefined)[] = [undefined];
      const { targets } = await new SendAuthorizer().read(conn, cmds, outcomes);
      assert.equal(targets.size, 1, 'authorized while they were friends');
      await new FriendService(env.pool, env.logger).deleteFriend(a, b);
      await assert.rejects(writeBatch(conn, cmds, [0], targets, outcomes), (err: unknown) => isStaleAuthorization(err));
    } finally {
      conn.release();
    }
    assert.deepEqual(await storedSeqs(conv), []);
    assert.equal(await maxSeq(conv), 0);
    await refusedWith(committer().submit(cmds[0] as SendCommand), 'NOT_FRIENDS');
  });

  it('a send holding the conversation row commits first; the unfriend waits for it, the next send is refused', async () => {
    const c = committer();
    const { a, b, conv } = await rememberedPair(c);
    const blocker = await env.pool.getConnection();
    let unfriended = false;
    try {
      await blocker.beginTransaction();
      await blocker.query('SELECT max_seq FROM conversations WHERE id = ? FOR UPDATE', [conv]);
      const send = c.submit(text(a, { to: b }, 'in-flight'));
      await new Promise((r) => setTimeout(r, 100));
      const unfriend = new FriendService(env.pool, env.logger).deleteFriend(a, b).then(() => (unfriended = true));
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(unfriended, false, 'the unfriend waits for the conversation row');
      await blocker.commit();
      const stored = await send;
      assert.equal(stored.message.seq, 3);
      await unfriend;
    } finally {
      blocker.release();
    }
    await refusedWith(c.submit(text(a, { to: b }, 'after')), 'NOT_FRIENDS');
    assert.deepEqual(await storedSeqs(conv), [1, 2, 3]);
  });
});
