import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RowDataPacket } from 'mysql2/promise';
import { createMysqlPool, type MysqlPool, type ParleyError } from '@parley/common';
import { createTestEnv, type TestEnv } from '@parley/common/testing';
import { GroupEventSchema, type ChatMessage, type GroupEvent } from '@parley/protocol';
import { GroupService } from '../src/groups';
import { MessageCommitter } from '../src/messaging/message-committer';
import { SyncService } from '../src/messaging/sync-service';
import { befriend, createUser } from './support/fixtures';

// Group rules against the real database: permissions, the join/leave seq rules, the member cap,
// system messages in the group's seq, and consistency under concurrent changes.
let env: TestEnv;
let commitPool: MysqlPool;
let groups: GroupService;
let committer: MessageCommitter;
let sync: SyncService;
const MAX = 6;

before(async () => {
  env = await createTestEnv();
  commitPool = createMysqlPool(env.config.mysql, { multipleStatements: true });
  groups = new GroupService({ pool: env.pool, logger: env.logger, maxMembers: MAX });
  committer = new MessageCommitter({ pool: commitPool, intervalMs: 1, maxBatch: 256, logger: env.logger });
  sync = new SyncService(env.pool);
});

after(async () => {
  await committer.close();
  await commitPool.end();
  await env.cleanup();
});

const ctx = (uid: number) => ({ uid, sessionId: 's', serverId: 'test' });

/** An owner with `n` friends, all in a new group; returns the uids (owner first) and the group. */
async function groupOf(n: number): Promise<{ owner: number; members: number[]; groupId: number; conversationId: number }> {
  const owner = await createUser(env.pool);
  const members: number[] = [];
  for (let i = 0; i < n; i++) {
    const m = await createUser(env.pool);
    await befriend(env.pool, owner, m);
    members.push(m);
  }
  const { answer } = await groups.create(owner, 'Team', '', members);
  return { owner, members, groupId: answer.groupId, conversationId: answer.conversationId };
}

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (err) {
    return (err as ParleyError).code;
  }
}

function post(uid: number, conversationId: number, body: string): Promise<unknown> {
  return committer.submit({ senderUid: uid, conversationId, clientMsgId: `m-${uid}-${body}`, type: 'text', body });
}

async function events(conversationId: number): Promise<{ seq: number; event: GroupEvent; sender: number }[]> {
  const [rows] = await env.pool.query<RowDataPacket[]>("SELECT seq, sender_uid, body FROM messages WHERE conversation_id = ? AND type = 'system' ORDER BY seq", [conversationId]);
  return rows.map((r) => ({ seq: Number(r.seq), sender: Number(r.sender_uid), event: GroupEventSchema.parse(JSON.parse(String(r.body))) }));
}

async function readable(uid: number, conversationId: number): Promise<number[]> {
  const page = await sync.pull(ctx(uid), { reqId: 1, conversationId, afterSeq: 0, limit: 500 });
  return page.messages.map((m: ChatMessage) => m.seq);
}

describe('groups', () => {
  it('creates a group with friends: owner, members, a created system message at seq 1', async () => {
    const { owner, members, groupId, conversationId } = await groupOf(2);
    const info = await groups.info(owner, groupId);
    assert.equal(info.group.ownerUid, owner);
    assert.equal(info.group.memberCount, 3);
    assert.equal(info.group.myRole, 'owner');
    assert.deepEqual(info.members.map((m) => m.uid), [owner, ...members].sort((a, b) => a - b));
    const [created] = await events(conversationId);
    assert.deepEqual(created, { seq: 1, sender: owner, event: { event: 'created', actor: owner, uids: [owner, ...members], name: 'Team' } });
    const state = (await sync.sync(ctx(members[0] as number), { reqId: 1 })).conversations.find((c) => c.conversationId === conversationId);
    assert.deepEqual(state, { conversationId, kind: 'group', groupId, maxSeq: 1, ackedSeq: 0 });
    assert.deepEqual((await groups.list(members[1] as number)).map((g) => g.groupId), [groupId]);
  });

  it('refuses strangers as initial members and a group beyond the cap, storing nothing', async () => {
    const owner = await createUser(env.pool);
    const stranger = await createUser(env.pool);
    await assert.rejects(groups.create(owner, 'x', '', [stranger]), (err: ParleyError) => err.code === 'NOT_FRIENDS' && (err.details as { uids: number[] }).uids[0] === stranger);
    const many = Array.from({ length: MAX }, (_, i) => 1_000_000 + i);
    await assert.rejects(groups.create(owner, 'x', '', many), (err: ParleyError) => err.code === 'GROUP_FULL');
    assert.deepEqual(await groups.list(owner), []);
  });

  it('lets only current members post; a removed member is refused inside the write', async () => {
    const { owner, members, groupId, conversationId } = await groupOf(2);
    const [m1, m2] = members as [number, number];
    const outsider = await createUser(env.pool);
    assert.equal(await code(post(m1, conversationId, 'hi')), 'ok');
    assert.equal(await code(post(outsider, conversationId, 'hi')), 'NOT_MEMBER');
    // m2 posts once (its target is now remembered: the fast path), then is removed.
    assert.equal(await code(post(m2, conversationId, 'before')), 'ok');
    await groups.remove(owner, groupId, m2);
    assert.equal(await code(post(m2, conversationId, 'after')), 'NOT_MEMBER');
    const [rows] = await env.pool.query<RowDataPacket[]>('SELECT COUNT(*) AS n FROM messages WHERE sender_uid = ? AND body = ?', [m2, 'after']);
    assert.equal(Number(rows[0]?.n), 0);
  });

  it('gives a message the members at its seq as recipients', async () => {
    const { owner, members, groupId, conversationId } = await groupOf(3);
    const [m1, m2, m3] = members as [number, number, number];
    const first = (await post(m1, conversationId, 'r1')) as { recipients: number[] };
    assert.deepEqual([...first.recipients].sort(), [owner, m2, m3].sort());
    await groups.remove(owner, groupId, m3);
    const second = (await post(m1, conversationId, 'r2')) as { recipients: number[] };
    assert.deepEqual([...second.recipients].sort(), [owner, m2].sort());
  });

  it('join rule: a new member reads from the system message that added them; leave rule: up to the one that removed them', async () => {
    const { owner, members, groupId, conversationId } = await groupOf(1);
    const [m1] = members as [number];
    await post(owner, conversationId, 'early'); // seq 2
    const late = await createUser(env.pool);
    await befriend(env.pool, m1, late);
    const invited = await groups.invite(m1, groupId, [late]); // seq 3: joined
    assert.deepEqual(invited.answer, { added: [late], pending: [], already: [] });
    assert.equal(invited.messages[0]?.message.seq, 3);
    await post(owner, conversationId, 'welcome'); // seq 4
    assert.deepEqual(await readable(late, conversationId), [3, 4]);
    const history = await sync.history(ctx(late), { reqId: 1, conversationId });
    assert.deepEqual(history.messages.map((m) => m.seq), [3, 4]);

    await groups.leave(late, groupId); // seq 5: left
    await post(owner, conversationId, 'after you left'); // seq 6
    assert.deepEqual(await readable(late, conversationId), [3, 4, 5]);
    assert.deepEqual((await sync.history(ctx(late), { reqId: 1, conversationId })).messages.map((m) => m.seq), [3, 4, 5]);
    assert.deepEqual((await sync.history(ctx(late), { reqId: 1, conversationId, beforeSeq: 100 })).messages.map((m) => m.seq), [3, 4, 5]);
    const state = (await sync.sync(ctx(late), { reqId: 1 })).conversations.find((c) => c.conversationId === conversationId);
    assert.equal(state?.maxSeq, 5);
    assert.equal(state?.left, true);
    assert.equal(await code(groups.info(late, groupId)), 'NOT_MEMBER');

    // Invited again, they read from the new join on (not what they missed while away).
    await groups.invite(m1, groupId, [late]); // seq 7
    assert.deepEqual(await readable(late, conversationId), [7]);
    const again = (await sync.sync(ctx(late), { reqId: 1 })).conversations.find((c) => c.conversationId === conversationId);
    assert.equal(again?.left, undefined);
    assert.equal(again?.maxSeq, 7);
  });

  it('enforces roles: who removes, renames, appoints, transfers, dissolves', async () => {
    const { owner, members, groupId } = await groupOf(3);
    const [admin, m1, m2] = members as [number, number, number];
    const outsider = await createUser(env.pool);
    assert.equal(await code(groups.setRole(m1, groupId, admin, 'admin')), 'FORBIDDEN');
    assert.equal(await code(groups.setRole(owner, groupId, admin, 'admin')), 'ok');
    assert.equal(await code(groups.setRole(owner, groupId, outsider, 'admin')), 'NOT_FOUND');
    assert.equal(await code(groups.update(admin, groupId, { name: 'mine' })), 'FORBIDDEN');
    assert.equal(await code(groups.update(m1, groupId, { name: 'mine' })), 'FORBIDDEN');
    assert.equal(await code(groups.update(outsider, groupId, { name: 'mine' })), 'NOT_MEMBER');
    assert.equal(await code(groups.remove(m1, groupId, m2)), 'FORBIDDEN');
    assert.equal(await code(groups.remove(admin, groupId, owner)), 'FORBIDDEN');
    assert.equal(await code(groups.remove(outsider, groupId, m2)), 'NOT_MEMBER');
    assert.equal(await code(groups.remove(admin, groupId, m2)), 'ok');
    assert.equal(await code(groups.dissolve(admin, groupId)), 'FORBIDDEN');
    assert.equal(await code(groups.transfer(admin, groupId, m1)), 'FORBIDDEN');
    assert.equal(await code(groups.leave(owner, groupId)), 'OWNER_MUST_TRANSFER');
    assert.equal(await code(groups.transfer(owner, groupId, m1)), 'ok');
    const info = await groups.info(m1, groupId);
    assert.equal(info.group.ownerUid, m1);
    assert.equal(info.members.find((m) => m.uid === owner)?.role, 'admin');
    assert.equal(await code(groups.leave(owner, groupId)), 'ok');
    assert.equal(await code(groups.update(m1, groupId, { name: 'Renamed', avatar: 'file:9' })), 'ok');
    assert.equal((await groups.info(admin, groupId)).group.name, 'Renamed');
  });

  it('approval flow: a member’s invitation waits for the owner or an admin', async () => {
    const { owner, members, groupId, conversationId } = await groupOf(1);
    const [m1] = members as [number];
    const friend = await createUser(env.pool);
    await befriend(env.pool, m1, friend);
    await groups.update(owner, groupId, { approvalRequired: true });
    const invited = await groups.invite(m1, groupId, [friend]);
    assert.deepEqual(invited.answer, { added: [], pending: [friend], already: [] });
    assert.deepEqual(invited.notices.map((n) => [n.uid, n.body.kind]), [[owner, 'invite_pending']]);
    assert.equal(await code(groups.info(friend, groupId)), 'NOT_MEMBER');
    const { pendingInvites } = await groups.info(owner, groupId);
    assert.equal(pendingInvites?.length, 1);
    assert.equal((await groups.info(m1, groupId)).pendingInvites, undefined, 'plain members do not see invitations');
    const inviteId = pendingInvites?.[0]?.inviteId as number;
    assert.equal(await code(groups.approve(m1, groupId, inviteId, true)), 'FORBIDDEN');
    const approved = await groups.approve(owner, groupId, inviteId, true);
    assert.deepEqual(approved.answer, { added: true });
    assert.equal(await code(groups.approve(owner, groupId, inviteId, true)), 'INVITE_NOT_PENDING');
    const last = (await events(conversationId)).at(-1);
    assert.deepEqual(last?.event, { event: 'joined', actor: owner, uids: [friend], inviter: m1 });
    // A stranger to the inviter cannot be invited at all.
    const stranger = await createUser(env.pool);
    assert.equal(await code(groups.invite(m1, groupId, [stranger])), 'NOT_FRIENDS');
  });

  it('refuses an invitation that would pass the member cap, adding nobody', async () => {
    const { owner, members, groupId } = await groupOf(MAX - 2);
    const extra = [await createUser(env.pool), await createUser(env.pool)];
    for (const e of extra) await befriend(env.pool, owner, e);
    assert.equal(await code(groups.invite(owner, groupId, extra)), 'GROUP_FULL');
    assert.equal((await groups.info(owner, groupId)).group.memberCount, members.length + 1);
    assert.equal(await code(groups.invite(owner, groupId, [extra[0] as number])), 'ok');
    assert.equal((await groups.info(owner, groupId)).group.memberCount, MAX);
  });

  it('dissolve ends every membership at the dissolved message and refuses everything after', async () => {
    const { owner, members, groupId, conversationId } = await groupOf(2);
    await post(members[0] as number, conversationId, 'last words'); // seq 2
    const change = await groups.dissolve(owner, groupId); // seq 3
    assert.deepEqual(change.notices.map((n) => n.body.reason), ['dissolved', 'dissolved']);
    for (const uid of [owner, ...members]) {
      assert.deepEqual(await readable(uid, conversationId), [1, 2, 3]);
      assert.equal(await code(post(uid, conversationId, 'ghost')), 'NOT_MEMBER');
      assert.equal(await code(groups.info(uid, groupId)), 'NOT_MEMBER');
      assert.deepEqual(await groups.list(uid), []);
    }
  });

  it('keeps membership and system messages consistent under concurrent invites and leaves', async () => {
    const { owner, members, groupId, conversationId } = await groupOf(3);
    const extra: number[] = [];
    for (let i = 0; i < 4; i++) {
      const u = await createUser(env.pool);
      await befriend(env.pool, owner, u);
      await befriend(env.pool, members[0] as number, u);
      extra.push(u);
    }
    const roomy = new GroupService({ pool: env.pool, logger: env.logger, maxMembers: 50 });
    const ops: Promise<unknown>[] = [];
    for (const u of extra) ops.push(roomy.invite(owner, groupId, [u]), roomy.invite(members[0] as number, groupId, [u]));
    for (const m of members.slice(1)) ops.push(roomy.leave(m, groupId));
    ops.push(...extra.map((u) => post(owner, conversationId, `c-${u}`)));
    const results = await Promise.allSettled(ops);
    assert.deepEqual(results.filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason)), [], 'no change failed');
    // Replaying the system messages in seq order gives exactly the membership stored.
    const replay = new Set<number>();
    const seqs: number[] = [];
    for (const { seq, sender, event } of await events(conversationId)) {
      seqs.push(seq);
      if (event.event === 'created' || event.event === 'joined') for (const u of event.uids ?? []) replay.add(u);
      if (event.event === 'left') replay.delete(sender);
    }
    const [rows] = await env.pool.query<RowDataPacket[]>('SELECT user_id FROM conversation_members WHERE conversation_id = ? AND left_seq IS NULL ORDER BY user_id', [conversationId]);
    assert.deepEqual(rows.map((r) => Number(r.user_id)), [...replay].sort((a, b) => a - b));
    assert.deepEqual(rows.map((r) => Number(r.user_id)), [owner, members[0] as number, ...extra].sort((a, b) => a - b));
    const joins = (await events(conversationId)).filter((e) => e.event.event === 'joined');
    assert.equal(joins.length, extra.length, 'each user joined once, though invited twice');
    const [all] = await env.pool.query<RowDataPacket[]>('SELECT seq FROM messages WHERE conversation_id = ? ORDER BY seq', [conversationId]);
    assert.deepEqual(all.map((r) => Number(r.seq)), all.map((_, i) => i + 1), 'one gap-free seq for messages and changes');
    assert.equal(seqs.length, 1 + extra.length + 2);
  });
});
