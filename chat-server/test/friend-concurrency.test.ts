import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RowDataPacket } from 'mysql2/promise';
import { createTestEnv, type TestEnv } from '@parley/common/testing';
import { createFriendHandlers, ER_LOCK_DEADLOCK, withTransaction, type FriendHandlers } from '../src/friends';
import { createUser, ctxOf, pairState, RecordingNotifier } from './friend-fixtures';

const ROUNDS = 20;
const reqId = 7;

function failures(results: PromiseSettledResult<unknown>[]): string[] {
  return results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => String((r.reason as Error)?.stack ?? r.reason));
}

describe('friend operations under concurrency', () => {
  let env: TestEnv;
  let notifier: RecordingNotifier;
  let h: FriendHandlers;

  before(async () => {
    env = await createTestEnv({ sections: { mysql: { pool_size: 8 } } });
    notifier = new RecordingNotifier();
    h = createFriendHandlers({ pool: env.pool, notifier, logger: env.logger });
  });

  after(async () => {
    await env.cleanup();
  });

  async function assertOneFriendship(a: number, b: number, round: number): Promise<void> {
    const state = await pairState(env.pool, a, b);
    assert.equal(state.friendships, 2, `round ${round}: friendship rows`);
    assert.equal(state.conversations.length, 1, `round ${round}: direct conversations`);
    assert.equal(state.members, 2, `round ${round}: conversation members`);
    const [rows] = await env.pool.query<RowDataPacket[]>('SELECT DISTINCT conversation_id FROM friendships WHERE user_id IN (?, ?) AND friend_id IN (?, ?)', [a, b, a, b]);
    assert.deepEqual(rows.map((r) => Number(r.conversation_id)), state.conversations, `round ${round}: both rows point at the conversation`);
  }

  it(`two users requesting each other at the same moment end as one friendship (${ROUNDS} rounds)`, async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const a = await createUser(env.pool);
      const b = await createUser(env.pool);
      const results = await Promise.allSettled([h.sendRequest(ctxOf(a), { reqId, toUid: b, note: 'a' }), h.sendRequest(ctxOf(b), { reqId, toUid: a, note: 'b' })]);
      assert.deepEqual(failures(results), [], `round ${round}`);
      await assertOneFriendship(a, b, round);
      const [reqs] = await env.pool.query<RowDataPacket[]>('SELECT status FROM friend_requests WHERE from_uid IN (?, ?) AND to_uid IN (?, ?)', [a, b, a, b]);
      assert.deepEqual(reqs.map((r) => r.status), ['accepted', 'accepted'], `round ${round}: both requests answered`);
      const accepted = [...notifier.take(a), ...notifier.take(b)].filter((p) => p.body.kind === 'accepted');
      assert.equal(accepted.length, 2, `round ${round}: each side told once that they are friends`);
    }
  });

  it(`the addressees accepting each other's requests at the same moment end as one friendship (${ROUNDS} rounds)`, async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const a = await createUser(env.pool);
      const b = await createUser(env.pool);
      // Both pending at once cannot arise through sendRequest (the second accepts the first), but
      // can through older data or another path; seed it directly.
      await env.pool.query("INSERT INTO friend_requests (from_uid, to_uid, status) VALUES (?, ?, 'pending'), (?, ?, 'pending')", [a, b, b, a]);
      const [ids] = await env.pool.query<RowDataPacket[]>('SELECT id, to_uid FROM friend_requests WHERE from_uid IN (?, ?) AND to_uid IN (?, ?)', [a, b, a, b]);
      const toA = Number(ids.find((r) => Number(r.to_uid) === a)?.id);
      const toB = Number(ids.find((r) => Number(r.to_uid) === b)?.id);
      const results = await Promise.allSettled([
        h.reply(ctxOf(a), { reqId, requestId: toA, accept: true }),
        h.reply(ctxOf(b), { reqId, requestId: toB, accept: true }),
      ]);
      assert.deepEqual(failures(results), [], `round ${round}`);
      await assertOneFriendship(a, b, round);
      const conversationIds = results.map((r) => (r.status === 'fulfilled' ? r.value.friend?.conversationId : undefined));
      assert.equal(new Set(conversationIds).size, 1, `round ${round}: both answers name the same conversation`);
    }
  });

  it(`one request accepted twice at the same moment (double tap) is one friendship (${ROUNDS} rounds)`, async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const a = await createUser(env.pool);
      const b = await createUser(env.pool);
      const { requestId } = await h.sendRequest(ctxOf(a), { reqId, toUid: b });
      notifier.clear();
      const results = await Promise.allSettled([h.reply(ctxOf(b), { reqId, requestId, accept: true }), h.reply(ctxOf(b), { reqId, requestId, accept: true })]);
      assert.deepEqual(failures(results), [], `round ${round}`);
      await assertOneFriendship(a, b, round);
      assert.equal(notifier.take(a).length, 1, `round ${round}: the requester is told once`);
    }
  });

  it('many pairs befriending each other at once, also after unfriending, all succeed', async () => {
    const pairs: [number, number][] = [];
    for (let i = 0; i < ROUNDS; i++) pairs.push([await createUser(env.pool), await createUser(env.pool)]);
    // A shared user makes the pairs contend for the same row too.
    const hub = await createUser(env.pool);
    const burst = () =>
      Promise.allSettled(
        pairs.flatMap(([a, b]) => [
          h.sendRequest(ctxOf(a), { reqId, toUid: b }),
          h.sendRequest(ctxOf(b), { reqId, toUid: a }),
          h.sendRequest(ctxOf(hub), { reqId, toUid: a }).catch(() => undefined),
        ]),
      );
    assert.deepEqual(failures(await burst()), []);
    const before = await Promise.all(pairs.map(([a, b]) => pairState(env.pool, a, b)));
    for (const [i, [a, b]] of pairs.entries()) await assertOneFriendship(a, b, i);

    assert.deepEqual(failures(await Promise.allSettled(pairs.map(([a, b]) => h.deleteFriend(ctxOf(a), { reqId, uid: b })))), []);
    for (const [a, b] of pairs) assert.equal((await pairState(env.pool, a, b)).friendships, 0);
    assert.deepEqual(failures(await burst()), []);
    for (const [i, [a, b]] of pairs.entries()) {
      await assertOneFriendship(a, b, i);
      assert.deepEqual((await pairState(env.pool, a, b)).conversations, before[i]!.conversations, `pair ${i}: the old conversation is reused`);
    }
  });

  it('withTransaction retries a real deadlock so the caller never sees it', async () => {
    const x = await createUser(env.pool);
    const y = await createUser(env.pool);
    let arrived = 0;
    let release!: () => void;
    const bothHoldOneLock = new Promise<void>((resolve) => (release = resolve));
    const attempts = [0, 0];
    // Two transactions take the same two row locks in opposite orders; once both hold their first
    // lock, each asks for the other's, and InnoDB must kill one (errno 1213).
    const crosswise = (idx: 0 | 1, first: number, second: number) =>
      withTransaction(env.pool, async (conn) => {
        attempts[idx]! += 1;
        await conn.query('SELECT id FROM users WHERE id = ? FOR UPDATE', [first]);
        if (attempts[idx] === 1) {
          arrived += 1;
          if (arrived === 2) release();
          await bothHoldOneLock;
        }
        await conn.query('SELECT id FROM users WHERE id = ? FOR UPDATE', [second]);
        await conn.query('UPDATE users SET nickname = ? WHERE id = ?', [`by${idx}`, first]);
        return idx;
      });
    const results = await Promise.allSettled([crosswise(0, x, y), crosswise(1, y, x)]);
    assert.deepEqual(failures(results), []);
    assert.deepEqual(
      attempts.slice().sort(),
      [1, 2],
      `exactly one transaction was a deadlock victim and ran again (attempts ${attempts.join(',')})`,
    );

    // Without retries the same deadlock reaches the caller as errno 1213.
    arrived = 0;
    attempts[0] = 0;
    attempts[1] = 0;
    let release2!: () => void;
    const gate2 = new Promise<void>((resolve) => (release2 = resolve));
    const once = (idx: 0 | 1, first: number, second: number) =>
      withTransaction(
        env.pool,
        async (conn) => {
          await conn.query('SELECT id FROM users WHERE id = ? FOR UPDATE', [first]);
          arrived += 1;
          if (arrived === 2) release2();
          await gate2;
          await conn.query('SELECT id FROM users WHERE id = ? FOR UPDATE', [second]);
        },
        { attempts: 1 },
      );
    const raw = await Promise.allSettled([once(0, x, y), once(1, y, x)]);
    const errnos = raw.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => (r.reason as { errno?: number }).errno);
    assert.deepEqual(errnos, [ER_LOCK_DEADLOCK]);
  });
});
