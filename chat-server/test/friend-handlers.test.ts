import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RowDataPacket } from 'mysql2/promise';
import { ParleyError } from '@parley/common';
import { createTestEnv, type TestEnv } from '@parley/common/testing';
import { MsgId, type FriendInfo, type FriendRequestInfo, FriendNotifySchema } from '@parley/protocol';
import { createFriendHandlers, MAX_LISTED_REQUESTS, type FriendHandlers } from '../src/friends';
import { assertNoPrivateKeys, createUser, ctxOf, pairState, RecordingNotifier } from './friend-fixtures';

/** Every answer and push this file sees, checked at the end for private fields. */
const seen: unknown[] = [];

function recording(h: FriendHandlers): FriendHandlers {
  const out = {} as Record<string, unknown>;
  for (const [name, fn] of Object.entries(h) as [string, (...args: unknown[]) => Promise<unknown>][]) {
    out[name] = async (...args: unknown[]) => {
      const answer = await fn(...args);
      seen.push(answer);
      return answer;
    };
  }
  return out as unknown as FriendHandlers;
}

async function rejectsWith(p: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof ParleyError, `expected a ParleyError, got ${String(err)}`);
    assert.equal(err.code, code);
    return true;
  });
}

/** The one FriendNotify pushed to `uid` since the last take, validated against the wire schema. */
function onlyNotify(notifier: RecordingNotifier, uid: number) {
  const pushes = notifier.take(uid);
  assert.equal(pushes.length, 1, `exactly one push to ${uid}, got ${JSON.stringify(pushes)}`);
  const push = pushes[0]!;
  assert.equal(push.msgId, MsgId.FriendNotify);
  return FriendNotifySchema.parse(push.body);
}

describe('friend handlers', () => {
  let env: TestEnv;
  let notifier: RecordingNotifier;
  let h: FriendHandlers;
  const reqId = 1;

  before(async () => {
    env = await createTestEnv();
    notifier = new RecordingNotifier();
    h = recording(createFriendHandlers({ pool: env.pool, notifier, logger: env.logger }));
  });

  after(async () => {
    await env.cleanup();
  });

  describe('searchUsers', () => {
    const ids: Record<string, number> = {};
    before(async () => {
      for (const name of ['Searchable', 'xsearchy', 'SEARCHER', 'sea_rch', 'seaXrch', 'nobody']) ids[name] = await createUser(env.pool, name);
    });

    it('matches name prefixes case-insensitively, the exact match first (issue 11 item 9: no leading wildcard)', async () => {
      const { users } = await h.searchUsers(ctxOf(1), { reqId, query: 'search' });
      assert.deepEqual(
        users.map((u) => u.name),
        ['Searchable', 'SEARCHER'],
      );
      const infix = await h.searchUsers(ctxOf(1), { reqId, query: 'earch' });
      assert.deepEqual(infix.users, [], 'a substring that is not a prefix finds nobody');
      const exact = await h.searchUsers(ctxOf(1), { reqId, query: 'searcher' });
      assert.equal(exact.users[0]?.name, 'SEARCHER');
      assert.deepEqual(Object.keys(exact.users[0]!).sort(), ['avatar', 'name', 'nickname', 'uid']);
      assert.equal(exact.users[0]!.uid, ids.SEARCHER);
    });

    it('treats LIKE wildcards literally', async () => {
      const underscore = await h.searchUsers(ctxOf(1), { reqId, query: 'sea_r' });
      assert.deepEqual(underscore.users.map((u) => u.name), ['sea_rch']);
      const percent = await h.searchUsers(ctxOf(1), { reqId, query: 'sea%rch' });
      assert.deepEqual(percent.users, []);
      const bang = await h.searchUsers(ctxOf(1), { reqId, query: '!' });
      assert.deepEqual(bang.users, []);
    });

    it('finds a user by uid when the query is a number', async () => {
      const uid = ids.nobody!;
      const { users } = await h.searchUsers(ctxOf(1), { reqId, query: String(uid) });
      assert.equal(users[0]?.uid, uid);
      assert.equal(users[0]?.name, 'nobody');
    });

    it('pages with offset and limit', async () => {
      const all = (await h.searchUsers(ctxOf(1), { reqId, query: 'search' })).users.map((u) => u.uid);
      const page1 = (await h.searchUsers(ctxOf(1), { reqId, query: 'search', limit: 1 })).users.map((u) => u.uid);
      const page2 = (await h.searchUsers(ctxOf(1), { reqId, query: 'search', offset: 1, limit: 1 })).users.map((u) => u.uid);
      assert.equal(all.length, 2);
      assert.deepEqual(page1, all.slice(0, 1));
      assert.deepEqual(page2, all.slice(1, 2));
    });
  });

  describe('requests and replies', () => {
    it('refuses a request to yourself or to nobody', async () => {
      const a = await createUser(env.pool);
      await rejectsWith(h.sendRequest(ctxOf(a), { reqId, toUid: a }), 'SELF_REQUEST');
      await rejectsWith(h.sendRequest(ctxOf(a), { reqId, toUid: a + 100000 }), 'NOT_FOUND');
      assert.equal(notifier.take(a).length, 0);
    });

    it('sends a request, notifies the addressee and lists it on both sides; a second one is REQUEST_PENDING', async () => {
      const a = await createUser(env.pool, 'req_alice', 'Alice');
      const b = await createUser(env.pool, 'req_bob', 'Bob');
      const { requestId } = await h.sendRequest(ctxOf(a), { reqId, toUid: b, note: 'hi, it is Alice' });
      assert.ok(requestId > 0);

      const push = onlyNotify(notifier, b);
      assert.equal(push.kind, 'request');
      assert.equal(push.request?.requestId, requestId);
      assert.equal(push.request?.note, 'hi, it is Alice');
      assert.equal(push.request?.status, 'pending');
      assert.deepEqual(push.request?.from, { uid: a, name: 'req_alice', nickname: 'Alice', avatar: 'https://example.test/req_alice.png' });
      assert.ok(Math.abs(push.request!.createdAt - Date.now()) < 60_000, 'createdAt is a recent epoch-ms time');

      await rejectsWith(h.sendRequest(ctxOf(a), { reqId, toUid: b, note: 'again' }), 'REQUEST_PENDING');
      assert.equal(notifier.take(b).length, 0, 'a refused repeat does not notify');

      const bLists = await h.listRequests(ctxOf(b), { reqId });
      assert.deepEqual(bLists.incoming.map((r) => [r.requestId, r.from.uid, r.to.uid, r.note, r.status]), [[requestId, a, b, 'hi, it is Alice', 'pending']]);
      assert.deepEqual(bLists.outgoing, []);
      const aLists = await h.listRequests(ctxOf(a), { reqId });
      assert.deepEqual(aLists.outgoing.map((r) => r.requestId), [requestId]);
      assert.deepEqual(aLists.incoming, []);
    });

    it('lets only the addressee reply, and answers someone else\'s request exactly like an unknown id', async () => {
      const a = await createUser(env.pool);
      const b = await createUser(env.pool);
      const c = await createUser(env.pool);
      const { requestId } = await h.sendRequest(ctxOf(a), { reqId, toUid: b });
      notifier.clear();
      const refusal = async (p: Promise<unknown>): Promise<[string, string, unknown]> => {
        const err = await p.then(() => undefined, (e: unknown) => e);
        assert.ok(err instanceof ParleyError, `expected a ParleyError, got ${String(err)}`);
        return [err.code, err.message, err.details];
      };
      // No oracle for which request ids exist (issue 11 item 18): the same code, message and details.
      const unknown = await refusal(h.reply(ctxOf(b), { reqId, requestId: requestId + 100000, accept: true }));
      assert.deepEqual(unknown, ['NOT_FOUND', 'No such friend request', undefined]);
      assert.deepEqual(await refusal(h.reply(ctxOf(a), { reqId, requestId, accept: true })), unknown, 'the requester');
      assert.deepEqual(await refusal(h.reply(ctxOf(c), { reqId, requestId, accept: false })), unknown, 'a stranger');
      assert.equal((await pairState(env.pool, a, b)).friendships, 0);
      assert.equal(notifier.pushes.length, 0);
    });

    it('accepting makes them friends with one direct conversation, tells the requester, and is idempotent', async () => {
      const a = await createUser(env.pool, 'acc_alice');
      const b = await createUser(env.pool, 'acc_bob');
      notifier.online.add(a);
      const { requestId } = await h.sendRequest(ctxOf(a), { reqId, toUid: b });
      notifier.clear();

      const { friend } = await h.reply(ctxOf(b), { reqId, requestId, accept: true });
      assert.ok(friend);
      assert.equal(friend.uid, a);
      assert.equal(friend.name, 'acc_alice');
      assert.equal(friend.online, true);
      const state = await pairState(env.pool, a, b);
      assert.deepEqual(state, { friendships: 2, conversations: [friend.conversationId], members: 2 });

      const push = onlyNotify(notifier, a);
      assert.equal(push.kind, 'accepted');
      assert.equal(push.request?.requestId, requestId);
      assert.equal(push.request?.status, 'accepted');
      assert.deepEqual(push.friend, { uid: b, name: 'acc_bob', nickname: '', avatar: 'https://example.test/acc_bob.png', online: false, conversationId: friend.conversationId });
      assert.equal(notifier.pushes.length, 0, 'the replier is not notified');

      const again = await h.reply(ctxOf(b), { reqId, requestId, accept: true });
      assert.deepEqual(again.friend, friend);
      assert.equal(notifier.pushes.length, 0, 'a repeated accept notifies nobody');
      await rejectsWith(h.reply(ctxOf(b), { reqId, requestId, accept: false }), 'REQUEST_NOT_PENDING');

      await rejectsWith(h.sendRequest(ctxOf(a), { reqId, toUid: b }), 'ALREADY_FRIENDS');
      await rejectsWith(h.sendRequest(ctxOf(b), { reqId, toUid: a }), 'ALREADY_FRIENDS');

      const aFriends = await h.listFriends(ctxOf(a), { reqId });
      assert.deepEqual(aFriends.friends, [{ uid: b, name: 'acc_bob', nickname: '', avatar: 'https://example.test/acc_bob.png', online: false, conversationId: friend.conversationId }]);
      notifier.online.add(b);
      const bFriends = await h.listFriends(ctxOf(b), { reqId });
      assert.deepEqual(bFriends.friends.map((f) => [f.uid, f.online, f.conversationId]), [[a, true, friend.conversationId]]);
      notifier.online.clear();
    });

    it('declining tells the requester; asking again reuses the request as pending with the new note', async () => {
      const a = await createUser(env.pool);
      const b = await createUser(env.pool);
      const first = await h.sendRequest(ctxOf(a), { reqId, toUid: b, note: 'first' });
      notifier.clear();
      const answer = await h.reply(ctxOf(b), { reqId, requestId: first.requestId, accept: false });
      assert.deepEqual(answer, {});
      const push = onlyNotify(notifier, a);
      assert.equal(push.kind, 'declined');
      assert.equal(push.request?.status, 'declined');
      assert.equal((await pairState(env.pool, a, b)).friendships, 0);

      assert.deepEqual(await h.reply(ctxOf(b), { reqId, requestId: first.requestId, accept: false }), {});
      assert.equal(notifier.pushes.length, 0, 'a repeated decline notifies nobody');
      await rejectsWith(h.reply(ctxOf(b), { reqId, requestId: first.requestId, accept: true }), 'REQUEST_NOT_PENDING');

      const second = await h.sendRequest(ctxOf(a), { reqId, toUid: b, note: 'second' });
      assert.equal(second.requestId, first.requestId, 'the (from, to) row is reused');
      const renewed = onlyNotify(notifier, b);
      assert.equal(renewed.request?.status, 'pending');
      assert.equal(renewed.request?.note, 'second');
      const { friend } = await h.reply(ctxOf(b), { reqId, requestId: second.requestId, accept: true });
      assert.equal(friend?.uid, a);
    });

    it('a request to someone who already asked us accepts theirs: one friendship, both told', async () => {
      const a = await createUser(env.pool, 'mut_alice');
      const b = await createUser(env.pool, 'mut_bob');
      const theirs = await h.sendRequest(ctxOf(a), { reqId, toUid: b, note: 'from a' });
      notifier.clear();
      const mine = await h.sendRequest(ctxOf(b), { reqId, toUid: a, note: 'from b' });
      assert.notEqual(mine.requestId, theirs.requestId);

      const state = await pairState(env.pool, a, b);
      assert.equal(state.friendships, 2);
      assert.equal(state.conversations.length, 1);
      const toA = onlyNotify(notifier, a);
      const toB = onlyNotify(notifier, b);
      assert.equal(toA.kind, 'accepted');
      assert.equal(toA.request?.requestId, theirs.requestId);
      assert.equal(toA.friend?.uid, b);
      assert.equal(toA.friend?.conversationId, state.conversations[0]);
      assert.equal(toB.kind, 'accepted');
      assert.equal(toB.request?.requestId, mine.requestId);
      assert.equal(toB.friend?.uid, a);

      const [rows] = await env.pool.query<RowDataPacket[]>('SELECT id, status FROM friend_requests WHERE id IN (?, ?) ORDER BY id', [theirs.requestId, mine.requestId]);
      assert.deepEqual(rows.map((r) => r.status), ['accepted', 'accepted']);
      await rejectsWith(h.reply(ctxOf(b), { reqId, requestId: theirs.requestId, accept: false }), 'REQUEST_NOT_PENDING');
    });

    it('lists pending requests first, then the most recent, at most MAX_LISTED_REQUESTS', async () => {
      const target = await createUser(env.pool);
      const senders: number[] = [];
      for (let i = 0; i < 4; i++) senders.push(await createUser(env.pool));
      const ids: number[] = [];
      for (const s of senders) ids.push((await h.sendRequest(ctxOf(s), { reqId, toUid: target, note: `n${s}` })).requestId);
      // Distinct creation times, oldest first, so "recent first" is checkable.
      for (let i = 0; i < ids.length; i++) {
        await env.pool.query('UPDATE friend_requests SET created_at = ? WHERE id = ?', [new Date(Date.UTC(2024, 0, 1 + i)), ids[i]]);
      }
      await h.reply(ctxOf(target), { reqId, requestId: ids[3]!, accept: false }); // newest, but declined
      const { incoming } = await h.listRequests(ctxOf(target), { reqId });
      assert.deepEqual(
        incoming.map((r: FriendRequestInfo) => [r.requestId, r.status]),
        [[ids[2], 'pending'], [ids[1], 'pending'], [ids[0], 'pending'], [ids[3], 'declined']],
      );

      const many = await createUser(env.pool);
      const extra = MAX_LISTED_REQUESTS + 5;
      const values: number[] = [];
      for (let i = 0; i < extra; i++) values.push(await createUser(env.pool));
      await env.pool.query('INSERT INTO friend_requests (from_uid, to_uid) VALUES ?', [values.map((v) => [v, many])]);
      const bounded = await h.listRequests(ctxOf(many), { reqId });
      assert.equal(bounded.incoming.length, MAX_LISTED_REQUESTS);
    });
  });

  describe('deleteFriend', () => {
    it('removes both rows, keeps the conversation, tells the other party; befriending again reuses it', async () => {
      const a = await createUser(env.pool);
      const b = await createUser(env.pool);
      const { requestId } = await h.sendRequest(ctxOf(a), { reqId, toUid: b });
      const { friend } = await h.reply(ctxOf(b), { reqId, requestId, accept: true });
      const conversationId = (friend as FriendInfo).conversationId;
      notifier.clear();

      assert.deepEqual(await h.deleteFriend(ctxOf(a), { reqId, uid: b }), {});
      assert.deepEqual(await pairState(env.pool, a, b), { friendships: 0, conversations: [conversationId], members: 2 });
      const push = onlyNotify(notifier, b);
      assert.deepEqual(push, { kind: 'deleted', uid: a });
      assert.deepEqual((await h.listFriends(ctxOf(b), { reqId })).friends, []);

      await rejectsWith(h.deleteFriend(ctxOf(a), { reqId, uid: b }), 'NOT_FRIENDS');
      await rejectsWith(h.deleteFriend(ctxOf(b), { reqId, uid: a }), 'NOT_FRIENDS');
      await rejectsWith(h.deleteFriend(ctxOf(a), { reqId, uid: a }), 'NOT_FRIENDS');
      await rejectsWith(h.deleteFriend(ctxOf(a), { reqId, uid: b + 100000 }), 'NOT_FRIENDS');
      assert.equal(notifier.pushes.length, 0);

      // The old accepted request is not pending: a new request from either side is allowed.
      const again = await h.sendRequest(ctxOf(b), { reqId, toUid: a });
      const back = await h.reply(ctxOf(a), { reqId, requestId: again.requestId, accept: true });
      assert.equal(back.friend?.conversationId, conversationId, 'history continues in the same conversation');
      assert.deepEqual(await pairState(env.pool, a, b), { friendships: 2, conversations: [conversationId], members: 2 });
    });
  });

  describe('when the session layer fails', () => {
    it('a failing push or presence lookup does not fail the operation', async () => {
      const failing = new RecordingNotifier();
      failing.failPush = true;
      failing.failPresence = true;
      const fh = recording(createFriendHandlers({ pool: env.pool, notifier: failing, logger: env.logger.child({}, { level: 'silent' }) }));
      const a = await createUser(env.pool);
      const b = await createUser(env.pool);
      const { requestId } = await fh.sendRequest(ctxOf(a), { reqId, toUid: b });
      const { friend } = await fh.reply(ctxOf(b), { reqId, requestId, accept: true });
      assert.equal(friend?.online, false);
      assert.equal((await fh.listFriends(ctxOf(a), { reqId })).friends.length, 1);
      await fh.deleteFriend(ctxOf(a), { reqId, uid: b });
      assert.equal((await pairState(env.pool, a, b)).friendships, 0);
      assert.equal(failing.pushes.length, 0);
    });
  });

  it('never answers or pushes an e-mail or password field', () => {
    const all = [...seen, ...notifier.history.map((p) => p.body)];
    assert.ok(seen.length > 40 && notifier.history.length > 10, `checked ${seen.length} answers, ${notifier.history.length} pushes`);
    assertNoPrivateKeys(all);
  });
});
