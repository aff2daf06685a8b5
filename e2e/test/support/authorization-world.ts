import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ChatClient} from '@parley/protocol';
import { FileTransfers, MsgId } from '@parley/protocol';
import type { Cluster } from '../../src/cluster';
import { bearer, postJson } from '../../src/gate-api';
import type { Principal } from '../../src/authorization-table';
import { befriend, createUser, login, type TestUser } from './chat-fixtures';

/** Alice, her group G, her direct conversation, file and incoming friend request, and one user per principal. */
export interface AuthorizationWorld {
  cluster: Cluster;
  alice: TestUser;
  /** The user behind each principal; the stranger has an account too, but never uses it. */
  users: Record<Principal, TestUser>;
  groupId: number;
  groupConversationId: number;
  directConversationId: number;
  /** Each principal's direct conversation with Alice, for those who have one (the blocked user's outlived the friendship). */
  directWith: Partial<Record<Principal, number>>;
  /** Alice's file, posted in G while the removed member was still in it; 0 when the world has none. */
  fileId: number;
  /** A pending friend request from a third user to Alice. */
  requestId: number;
  /** A chat session per logged-in principal, opened on first use (alternating the two chat servers). */
  session(principal: Principal): Promise<ChatClient>;
  close(): Promise<void>;
}

export interface WorldOptions {
  /** Upload a file as Alice and post it in G (needs a file server). */
  withFile?: boolean;
  /** Where uploads are staged. */
  workDir: string;
}

/** The body of a G message posted after the removed member left: they must never read it. */
export const AFTER_REMOVAL = 'posted after the removal';

let worldCount = 0;

export async function buildWorld(cluster: Cluster, options: WorldOptions): Promise<AuthorizationWorld> {
  worldCount++;
  const user = () => createUser(cluster);
  const alice = await user();
  const users = {} as Record<Principal, TestUser>;
  for (const p of ['stranger', 'logged-out', 'non-friend', 'friend', 'blocked', 'non-member', 'member', 'removed', 'admin'] as const) users[p] = await user();
  users.owner = alice;
  const directWith: Partial<Record<Principal, number>> = {};
  for (const p of ['friend', 'blocked', 'member', 'removed', 'admin'] as const) directWith[p] = await befriend(cluster, alice.uid, users[p].uid);
  await befriend(cluster, users.member.uid, users['non-member'].uid);

  const sessions = new Map<Principal, ChatClient>();
  const extra: ChatClient[] = [];
  let n = 0;
  const session = async (p: Principal): Promise<ChatClient> => {
    if (p === 'stranger' || p === 'logged-out') throw new Error(`${p} has no session`);
    let client = sessions.get(p);
    if (!client) {
      client = await login(cluster.chatEndpoint(n++ % 2 === 0 ? 'chat1' : 'chat2'), users[p]);
      sessions.set(p, client);
    }
    return client;
  };

  const a = await session('owner');
  const { group } = await a.request(MsgId.GroupCreateReq, { name: `Matrix ${worldCount}`, members: [users.member.uid, users.removed.uid, users.admin.uid] });
  await a.request(MsgId.GroupRoleReq, { groupId: group.groupId, uid: users.admin.uid, role: 'admin' });
  let fileId = 0;
  if (options.withFile) {
    const path = join(options.workDir, `matrix-${worldCount}.bin`);
    writeFileSync(path, randomBytes(4096));
    const f = cluster.fileEndpoint('file1');
    const transfers = new FileTransfers({ endpoint: { host: f.host, port: f.tcpPort }, uid: alice.uid, token: alice.token, attempts: 1 });
    const up = await transfers.upload(path, { mime: 'application/octet-stream', name: 'plan.bin' });
    await transfers.close();
    fileId = up.fileId;
    const body = JSON.stringify({ fileId, name: up.name, size: up.size, sha256: up.sha256, mime: 'application/octet-stream' });
    await a.sendMessage({ conversationId: group.conversationId }, body, { type: 'file' });
  }
  await a.request(MsgId.GroupRemoveReq, { groupId: group.groupId, uid: users.removed.uid });
  await a.sendMessage({ conversationId: group.conversationId }, AFTER_REMOVAL);
  await a.request(MsgId.BlockReq, { uid: users.blocked.uid });
  const direct = await a.sendMessage({ to: users.friend.uid }, 'hello friend');

  const requester = await user();
  const r = await login(cluster.chatEndpoint('chat1'), requester);
  extra.push(r);
  const { requestId } = await r.request(MsgId.FriendRequestReq, { toUid: alice.uid });

  const out = await postJson(cluster.gateUrl, '/api/logout', {}, bearer(users['logged-out'].uid, users['logged-out'].token));
  if (out.status !== 200) throw new Error(`logout for the logged-out principal failed: ${JSON.stringify(out.body)}`);

  return {
    cluster,
    alice,
    users,
    groupId: group.groupId,
    groupConversationId: group.conversationId,
    directConversationId: direct.conversationId,
    directWith,
    fileId,
    requestId,
    session,
    async close() {
      await Promise.all([...sessions.values(), ...extra].map((c) => c.close()));
    },
  };
}

/** A fresh plain member of G (Alice's friend, invited by her): someone to remove. */
export async function addPlainMember(world: AuthorizationWorld): Promise<TestUser> {
  const victim = await createUser(world.cluster);
  await befriend(world.cluster, world.alice.uid, victim.uid);
  const a = await world.session('owner');
  const res = await a.request(MsgId.GroupInviteReq, { groupId: world.groupId, uids: [victim.uid] });
  if (!res.added.includes(victim.uid)) throw new Error(`could not add ${victim.uid} to G: ${JSON.stringify(res)}`);
  return victim;
}

/** A fresh admin of G. */
export async function addAdmin(world: AuthorizationWorld): Promise<TestUser> {
  const admin = await addPlainMember(world);
  await (await world.session('owner')).request(MsgId.GroupRoleReq, { groupId: world.groupId, uid: admin.uid, role: 'admin' });
  return admin;
}

/** G switched to approval, and a plain member's invitation of a friend of theirs waiting: its invite id. */
export async function pendingInvite(world: AuthorizationWorld): Promise<number> {
  const owner = await world.session('owner');
  await owner.request(MsgId.GroupUpdateReq, { groupId: world.groupId, approvalRequired: true });
  const invitee = await createUser(world.cluster);
  await befriend(world.cluster, world.users.member.uid, invitee.uid);
  const res = await (await world.session('member')).request(MsgId.GroupInviteReq, { groupId: world.groupId, uids: [invitee.uid] });
  if (!res.pending.includes(invitee.uid)) throw new Error(`the invitation is not pending: ${JSON.stringify(res)}`);
  const info = await owner.request(MsgId.GroupInfoReq, { groupId: world.groupId });
  const invite = info.pendingInvites?.find((i) => i.invitee.uid === invitee.uid);
  if (!invite) throw new Error(`no pending invite for ${invitee.uid}: ${JSON.stringify(info.pendingInvites)}`);
  return invite.inviteId;
}
