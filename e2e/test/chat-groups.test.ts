import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RowDataPacket } from 'mysql2/promise';
import { GroupEventSchema, MsgId, type ChatClient, type ChatMessage, type GroupNotify, type ProtocolError } from '@parley/protocol';
import { Cluster } from '../src/cluster';
import { befriend, createUser, login, waitFor, type TestUser } from './support/chat-fixtures';
import { SyncingClient } from './support/syncing-client';

// Groups through two real chat-server processes: fan-out to members on both servers, membership
// changes as system messages, pushes on add/remove, and every refusal a non-member meets.
let cluster: Cluster;
const MAX_MEMBERS = 5;

before(async () => {
  cluster = await Cluster.start({ chatServers: 2, kinds: ['chat'], sections: { cluster: { log_level: 'info' }, chat: { group_max_members: MAX_MEMBERS } } });
});

after(async () => {
  await cluster?.stop();
});

const endpoint = (i: number) => cluster.chatEndpoint(i % 2 === 0 ? 'chat1' : 'chat2');

interface Member {
  user: TestUser;
  sync: SyncingClient;
  notices: GroupNotify[];
}

/** Logs a user in with a seq-syncing client on chat1 or chat2 and records its GroupNotify pushes. */
async function connect(user: TestUser, i: number): Promise<Member> {
  const sync = new SyncingClient(user);
  await sync.connect(endpoint(i));
  const notices: GroupNotify[] = [];
  sync.client?.on('push', (id, msg) => {
    if (id === MsgId.GroupNotify) notices.push(msg as GroupNotify);
  });
  return { user, sync, notices };
}

function client(m: Member): ChatClient {
  return m.sync.client as ChatClient;
}

async function refusal(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (err) {
    return (err as ProtocolError).code;
  }
}

function event(m: ChatMessage): string {
  return m.type === 'system' ? GroupEventSchema.parse(JSON.parse(m.body)).event : m.body;
}

describe('groups across two chat servers', () => {
  it('fans out to every member on both servers; system messages and pushes follow membership', async () => {
    const users = [];
    for (let i = 0; i < 5; i++) users.push(await createUser(cluster));
    const [owner, a, b, c, outsider] = users as [TestUser, TestUser, TestUser, TestUser, TestUser];
    for (const u of [a, b, c]) await befriend(cluster, owner.uid, u.uid);
    const members = await Promise.all([owner, a, b, c, outsider].map((u, i) => connect(u, i)));
    const [mo, ma, mb, mc, mx] = members as [Member, Member, Member, Member, Member];

    const created = await client(mo).request(MsgId.GroupCreateReq, { name: '  Climbing  ', members: [a.uid, b.uid] });
    const { groupId, conversationId } = created.group;
    assert.equal(created.group.name, 'Climbing');
    assert.equal(created.group.memberCount, 3);
    await waitFor(() => ma.notices.length === 1 && mb.notices.length === 1, 5000, 'added notices');
    assert.deepEqual([ma.notices[0]?.kind, ma.notices[0]?.by, ma.notices[0]?.group.groupId], ['added', owner.uid, groupId]);

    // Every member, on either server, gets every message exactly once in seq order.
    const sends = [];
    for (let n = 0; n < 10; n++) for (const m of [mo, ma, mb]) sends.push(client(m).sendMessage({ conversationId }, `m${n}-${m.user.uid}`));
    const acks = await Promise.all(sends);
    const top = Math.max(...acks.map((x) => x.seq));
    assert.equal(top, 31, 'created + 30 messages, gap-free');
    for (const m of [mo, ma, mb]) {
      // Nobody is pushed their own messages: when a member's are the last ones (its server's batch
      // committed last), only a sync shows them.
      await m.sync.catchUp();
      await m.sync.waitForSeq(conversationId, top);
      assert.deepEqual(m.sync.messages(conversationId).map((x) => x.seq), Array.from({ length: top }, (_, i) => i + 1));
    }

    // A non-member meets NOT_MEMBER everywhere, for this group and for one that does not exist.
    for (const id of [conversationId, 99_999_999]) {
      assert.equal(await refusal(client(mx).sendMessage({ conversationId: id }, 'let me in')), 'NOT_MEMBER');
      assert.equal(await refusal(client(mx).pull(id, 0)), 'NOT_MEMBER');
      assert.equal(await refusal(client(mx).history(id)), 'NOT_MEMBER');
    }
    for (const id of [groupId, 99_999_999]) {
      assert.equal(await refusal(client(mx).request(MsgId.GroupInfoReq, { groupId: id })), 'NOT_MEMBER');
      assert.equal(await refusal(client(mx).request(MsgId.GroupInviteReq, { groupId: id, uids: [outsider.uid] })), 'NOT_MEMBER');
    }
    // Inviting a non-friend, and a non-owner renaming or dissolving, are refused.
    assert.equal(await refusal(client(mo).request(MsgId.GroupInviteReq, { groupId, uids: [outsider.uid] })), 'NOT_FRIENDS');
    assert.equal(await refusal(client(ma).request(MsgId.GroupUpdateReq, { groupId, name: 'Mine' })), 'FORBIDDEN');
    assert.equal(await refusal(client(ma).request(MsgId.GroupDissolveReq, { groupId })), 'FORBIDDEN');
    assert.equal(await refusal(client(ma).request(MsgId.GroupRemoveReq, { groupId, uid: b.uid })), 'FORBIDDEN');

    // c joins late: reads from the system message that added them on, and is pushed what follows.
    const invited = await client(mo).request(MsgId.GroupInviteReq, { groupId, uids: [c.uid, a.uid] });
    assert.deepEqual(invited, { reqId: invited.reqId, added: [c.uid], pending: [], already: [a.uid] });
    await waitFor(() => mc.notices.some((n) => n.kind === 'added'), 5000, 'c added');
    await mc.sync.catchUp();
    await mc.sync.waitForSeq(conversationId, top + 1);
    assert.deepEqual(mc.sync.messages(conversationId).map(event), ['joined']);

    // a is removed: told so, gets the system message that removed them, then nothing more.
    await client(mo).request(MsgId.GroupRemoveReq, { groupId, uid: a.uid });
    const leftSeq = top + 2;
    await waitFor(() => ma.notices.some((n) => n.kind === 'removed' && n.reason === 'removed'), 5000, 'a removed');
    await ma.sync.waitForSeq(conversationId, leftSeq);
    const after = await client(mb).sendMessage({ conversationId }, 'after a left');
    await mc.sync.waitForSeq(conversationId, after.seq);
    await mo.sync.waitForSeq(conversationId, after.seq);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(ma.sync.last.get(conversationId), leftSeq, 'no push past the leave seq');
    assert.equal(event(ma.sync.messages(conversationId).at(-1) as ChatMessage), 'removed');
    assert.equal(await refusal(client(ma).sendMessage({ conversationId }, 'still here?')), 'NOT_MEMBER');
    const page = await client(ma).pull(conversationId, 0, 500);
    assert.equal(page.messages.at(-1)?.seq, leftSeq, 'a pulls up to the leave seq only');
    const state = (await client(ma).sync()).conversations.find((x) => x.conversationId === conversationId);
    assert.deepEqual([state?.maxSeq, state?.left, state?.groupId], [leftSeq, true, groupId]);

    // Unread counts work as for direct chats: maxSeq − ackedSeq after DeliveredAcks.
    await new Promise((r) => setTimeout(r, 400)); // the delivered-ack writer flushes every 250 ms
    const mine = (await client(mc).sync()).conversations.find((x) => x.conversationId === conversationId);
    assert.equal(mine?.maxSeq, after.seq);
    assert.equal(mine?.ackedSeq, after.seq, 'c acked everything it got: nothing unread');

    // Dissolve: everyone left is told; the group is gone for all.
    await client(mo).request(MsgId.GroupDissolveReq, { groupId });
    await waitFor(() => mb.notices.some((n) => n.reason === 'dissolved') && mc.notices.some((n) => n.reason === 'dissolved'), 5000, 'dissolved');
    for (const m of [mo, mb, mc]) {
      await m.sync.waitForSeq(conversationId, after.seq + 1);
      assert.equal(event(m.sync.messages(conversationId).at(-1) as ChatMessage), 'dissolved');
      assert.equal(await refusal(client(m).sendMessage({ conversationId }, 'echo')), 'NOT_MEMBER');
      assert.deepEqual((await client(m).request(MsgId.GroupListReq, {})).groups, []);
    }
    const [rows] = await cluster.env.pool.query<RowDataPacket[]>('SELECT COUNT(*) AS n FROM messages WHERE conversation_id = ?', [conversationId]);
    assert.equal(Number(rows[0]?.n), after.seq + 1);
    await Promise.all(members.map((m) => m.sync.close()));
  });

  it('refuses a group beyond chat.group_max_members with GROUP_FULL', async () => {
    const owner = await createUser(cluster);
    const friends = [];
    for (let i = 0; i < MAX_MEMBERS; i++) {
      const f = await createUser(cluster);
      await befriend(cluster, owner.uid, f.uid);
      friends.push(f.uid);
    }
    const c = await login(endpoint(1), owner);
    const err = await c.request(MsgId.GroupCreateReq, { name: 'Too big', members: friends }).catch((e: unknown) => e as ProtocolError);
    assert.equal((err as ProtocolError).code, 'GROUP_FULL');
    assert.deepEqual((err as ProtocolError).details, { maxMembers: MAX_MEMBERS });
    const ok = await c.request(MsgId.GroupCreateReq, { name: 'Just right', members: friends.slice(1) });
    assert.equal(ok.group.memberCount, MAX_MEMBERS);
    await c.close();
  });
});
