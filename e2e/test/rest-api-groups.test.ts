import { RedisKeys } from '@parley/common';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MsgId, type ChatMessage, type GroupNotify, type GroupSummary } from '@parley/protocol';
import { bearer, Cluster, getJson, postJson, type HttpResult } from '../src/index';
import { befriend, createUser, login, waitFor, type TestUser } from './support/chat-fixtures';

// The REST API's group endpoints through real processes: create with friends, list, info pages,
// the group's conversation over REST, and pushes to members' TCP sessions on either chat server.
let cluster: Cluster;

before(async () => {
  cluster = await Cluster.start({ chatServers: 2, sections: { cluster: { log_level: 'info' } } });
  for (let i = 0; (await cluster.env.redis.hlen(RedisKeys.chatServers)) < 2; i++) {
    assert.ok(i < 200, 'both chat servers registered');
    await new Promise((r) => setTimeout(r, 50));
  }
});

after(async () => {
  await cluster?.stop();
});

const get = (user: TestUser, path: string) => getJson(cluster.gateUrl, path, bearer(user.uid, user.token));
const post = (user: TestUser, path: string, body: unknown) => postJson(cluster.gateUrl, path, body, bearer(user.uid, user.token));

function expectError(res: HttpResult, status: number, code: string): { code: string; message: string; details?: unknown } {
  assert.equal(res.status, status, `expected ${status} ${code}, got ${res.status}: ${JSON.stringify(res.body)}`);
  const error = (res.body as { error?: { code: string; message: string; details?: unknown } }).error;
  assert.ok(error, JSON.stringify(res.body));
  assert.equal(error.code, code, JSON.stringify(error));
  return error;
}

function fields(error: { details?: unknown }): string[] {
  return [...new Set((error.details as { field: string }[]).map((d) => d.field))];
}

/** An owner with two friends. */
async function trio(): Promise<{ owner: TestUser; b: TestUser; c: TestUser }> {
  const [owner, b, c] = [await createUser(cluster), await createUser(cluster), await createUser(cluster)];
  await befriend(cluster, owner.uid, b.uid);
  await befriend(cluster, owner.uid, c.uid);
  return { owner, b, c };
}

async function createGroup(owner: TestUser, members: number[], name = 'Team'): Promise<GroupSummary> {
  const res = await post(owner, '/api/groups', { name, members });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return (res.body as { group: GroupSummary }).group;
}

describe('REST API: groups', () => {
  it('creates a group with friends (201), tells the members on their TCP sessions, and lists it for each member', async () => {
    const { owner, b, c } = await trio();
    const member = await login(cluster.chatEndpoint('chat2'), b);
    const notices: GroupNotify[] = [];
    const pushes: ChatMessage[] = [];
    member.on('push', (id, msg) => {
      if (id === MsgId.GroupNotify) notices.push(msg as GroupNotify);
      if (id === MsgId.MessagePush) pushes.push(msg as ChatMessage);
    });
    const res = await post(owner, '/api/groups', { name: '  Team  ', avatar: 'https://img.example/t.png', members: [b.uid, c.uid, b.uid] });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    const group = (res.body as { group: GroupSummary }).group;
    assert.deepEqual(Object.keys(res.body), ['group']);
    assert.deepEqual({ ...group, groupId: 0, conversationId: 0 }, {
      groupId: 0,
      conversationId: 0,
      name: 'Team',
      avatar: 'https://img.example/t.png',
      ownerUid: owner.uid,
      approvalRequired: false,
      memberCount: 3,
      myRole: 'owner',
    });
    const notice = await waitFor(() => notices[0], 5000, 'GroupNotify added');
    assert.equal(notice.kind, 'added');
    assert.equal(notice.group.groupId, group.groupId);
    const created = await waitFor(() => pushes[0], 5000, 'the created system message');
    assert.deepEqual([created.conversationId, created.seq, created.type], [group.conversationId, 1, 'system']);

    const listed = async (user: TestUser) => {
      const r = await get(user, '/api/groups');
      assert.equal(r.status, 200, JSON.stringify(r.body));
      return (r.body as { groups: GroupSummary[] }).groups;
    };
    assert.deepEqual(await listed(owner), [group]);
    assert.deepEqual(await listed(b), [{ ...group, myRole: 'member' }]);
    assert.deepEqual(await listed(await createUser(cluster)), []);
    await member.close();
  });

  it('answers group info with member pages: GET /api/groups/:groupId?afterUid=&limit=', async () => {
    const { owner, b, c } = await trio();
    const group = await createGroup(owner, [b.uid, c.uid]);
    const info = await get(b, `/api/groups/${group.groupId}`);
    assert.equal(info.status, 200, JSON.stringify(info.body));
    const body = info.body as { group: GroupSummary; members: { uid: number; role: string }[]; nextAfterUid?: number; pendingInvites?: unknown[] };
    assert.deepEqual(body.group, { ...group, myRole: 'member' });
    assert.deepEqual(body.members.map((m) => [m.uid, m.role]), [[owner.uid, 'owner'], [b.uid, 'member'], [c.uid, 'member']]);
    assert.equal(body.nextAfterUid, undefined);
    assert.equal(body.pendingInvites, undefined, 'pending invitations are for the owner and admins');
    const ownerView = (await get(owner, `/api/groups/${group.groupId}`)).body as { pendingInvites?: unknown[] };
    assert.deepEqual(ownerView.pendingInvites, []);

    const first = (await get(owner, `/api/groups/${group.groupId}?limit=2`)).body as { members: { uid: number }[]; nextAfterUid?: number };
    assert.deepEqual(first.members.map((m) => m.uid), [owner.uid, b.uid]);
    assert.equal(first.nextAfterUid, b.uid);
    const rest = (await get(owner, `/api/groups/${group.groupId}?afterUid=${first.nextAfterUid}&limit=2`)).body as { members: { uid: number }[]; nextAfterUid?: number };
    assert.deepEqual(rest.members.map((m) => m.uid), [c.uid]);
    assert.equal(rest.nextAfterUid, undefined);
  });

  it('answers a foreign group exactly like one that does not exist: 403 NOT_MEMBER', async () => {
    const { owner, b } = await trio();
    const group = await createGroup(owner, [b.uid]);
    const outsider = await createUser(cluster);
    const foreign = await get(outsider, `/api/groups/${group.groupId}`);
    const absent = await get(outsider, `/api/groups/${group.groupId + 1_000_000}`);
    expectError(foreign, 403, 'NOT_MEMBER');
    assert.deepEqual(foreign.body, absent.body);
    // The group's conversation, too.
    const path = (id: number) => `/api/conversations/${id}/messages`;
    const [readForeign, readAbsent] = [await get(outsider, path(group.conversationId)), await get(outsider, path(group.conversationId + 1_000_000))];
    expectError(readForeign, 403, 'NOT_MEMBER');
    assert.deepEqual(readForeign.body, readAbsent.body);
    expectError(await post(outsider, path(group.conversationId), { clientMsgId: 'x', type: 'text', body: 'x' }), 403, 'NOT_MEMBER');
  });

  it('refuses non-friends (403 NOT_FRIENDS with their uids) and invalid fields (400 VALIDATION_FAILED)', async () => {
    const { owner, b } = await trio();
    const stranger = await createUser(cluster);
    const notFriends = expectError(await post(owner, '/api/groups', { name: 'x', members: [b.uid, stranger.uid] }), 403, 'NOT_FRIENDS');
    assert.deepEqual(notFriends.details, { uids: [stranger.uid] });
    assert.deepEqual(fields(expectError(await post(owner, '/api/groups', {}), 400, 'VALIDATION_FAILED')), ['name']);
    assert.deepEqual(fields(expectError(await post(owner, '/api/groups', { name: ' ', members: ['b'] }), 400, 'VALIDATION_FAILED')).sort(), ['members.0', 'name']);
    assert.deepEqual(fields(expectError(await post(owner, '/api/groups', [b.uid]), 400, 'VALIDATION_FAILED')), ['body']);
    expectError(await post(owner, '/api/groups', 'null'), 400, 'BAD_REQUEST');
    assert.deepEqual(fields(expectError(await get(owner, '/api/groups/abc'), 400, 'VALIDATION_FAILED')), ['groupId']);
    assert.deepEqual(fields(expectError(await get(owner, '/api/groups/1?afterUid=-1'), 400, 'VALIDATION_FAILED')), ['afterUid']);
    assert.deepEqual(fields(expectError(await get(owner, '/api/groups/1?limit=501'), 400, 'VALIDATION_FAILED')), ['limit']);
    assert.deepEqual((await get(owner, '/api/groups')).body, { groups: [] }, 'nothing was created');
  });

  it("carries the group's conversation: listed with groupId and unread, messages posted and read over REST, pushed over TCP", async () => {
    const { owner, b, c } = await trio();
    const group = await createGroup(owner, [b.uid, c.uid]);
    const ownerTcp = await login(cluster.chatEndpoint('chat1'), owner);
    const pushes: ChatMessage[] = [];
    ownerTcp.on('push', (id, msg) => {
      if (id === MsgId.MessagePush) pushes.push(msg as ChatMessage);
    });
    const sent = await post(b, `/api/conversations/${group.conversationId}/messages`, { clientMsgId: 'g-1', type: 'text', body: 'hi team' });
    assert.equal(sent.status, 201, JSON.stringify(sent.body));
    assert.equal((sent.body as { seq: number }).seq, 2, 'after the created system message');
    const push = await waitFor(() => pushes.find((m) => m.clientMsgId === 'g-1'), 5000, 'push to the owner');
    assert.equal(push.senderUid, b.uid);

    const conversations = (await get(c, '/api/conversations')).body as { conversations: Record<string, unknown>[] };
    assert.deepEqual(conversations.conversations.map((x) => x.kind), ['direct', 'group'], 'the friendship with the owner, then the group');
    assert.deepEqual(conversations.conversations[1], { conversationId: group.conversationId, kind: 'group', groupId: group.groupId, maxSeq: 2, ackedSeq: 0, unread: 2 });
    const history = (await get(c, `/api/conversations/${group.conversationId}/messages`)).body as { messages: ChatMessage[]; hasMore: boolean };
    assert.deepEqual(history.messages.map((m) => [m.seq, m.type, m.senderUid]), [[1, 'system', owner.uid], [2, 'text', b.uid]]);
    assert.equal(history.hasMore, false);
    expectError(await post(c, `/api/conversations/${group.conversationId}/messages`, { clientMsgId: 'g-sys', type: 'system', body: '{}' }), 403, 'FORBIDDEN');
    await ownerTcp.close();
  });

  it('shows a group the user left with left: true, readable up to the leave, closed for posting', async () => {
    const { owner, b } = await trio();
    const group = await createGroup(owner, [b.uid]);
    const tcp = await login(cluster.chatEndpoint('chat2'), b);
    await tcp.request(MsgId.GroupLeaveReq, { groupId: group.groupId });
    await tcp.close();
    assert.equal((await post(owner, `/api/conversations/${group.conversationId}/messages`, { clientMsgId: 'after-leave', type: 'text', body: 'x' })).status, 201);
    const listed = (await get(b, '/api/conversations')).body as { conversations: Record<string, unknown>[] };
    assert.deepEqual(listed.conversations.find((x) => x.kind === 'group'), { conversationId: group.conversationId, kind: 'group', groupId: group.groupId, maxSeq: 2, ackedSeq: 0, unread: 2, left: true });
    const page = (await get(b, `/api/conversations/${group.conversationId}/messages?afterSeq=0`)).body as { messages: ChatMessage[] };
    assert.deepEqual(page.messages.map((m) => m.seq), [1, 2], 'up to the leave, not the message after it');
    expectError(await post(b, `/api/conversations/${group.conversationId}/messages`, { clientMsgId: 'gone', type: 'text', body: 'x' }), 403, 'NOT_MEMBER');
    expectError(await get(b, `/api/groups/${group.groupId}`), 403, 'NOT_MEMBER');
    assert.deepEqual((await get(b, '/api/groups')).body, { groups: [] });
  });
});
