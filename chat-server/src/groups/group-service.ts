import type { PoolConnection } from 'mysql2/promise';
import { ParleyError, type Logger, type MysqlPool } from '@parley/common';
import {
  DEFAULT_GROUP_MEMBER_PAGE,
  type ChatMessage,
  type GroupEvent,
  type GroupInvite,
  type GroupMember,
  type GroupNotify,
  type GroupRole,
  type GroupSummary,
} from '@parley/protocol';
import { withTransaction } from '../db/transaction';
import { GroupStore, type GroupRow } from './group-store';

/** A system message to push: to whom (the members at its seq, and whoever it removed). */
export interface SystemPush {
  message: ChatMessage;
  recipients: number[];
}

/** A GroupNotify for one user. */
export interface GroupNotice {
  uid: number;
  body: GroupNotify;
}

/** What a change did, for the caller to push once it has committed. */
export interface GroupChange<T> {
  answer: T;
  messages: SystemPush[];
  notices: GroupNotice[];
}

export interface GroupServiceOptions {
  pool: MysqlPool;
  logger: Logger;
  /** chat.group_max_members */
  maxMembers: number;
}

/** A change's transaction: the locked group, the actor's role, the members before the change. */
interface Locked {
  conn: PoolConnection;
  group: GroupRow;
  role: GroupRole;
  members: Map<number, GroupRole>;
}

function notMember(): ParleyError {
  return new ParleyError('NOT_MEMBER', 'You are not a member of this group');
}

function forbidden(message: string): ParleyError {
  return new ParleyError('FORBIDDEN', message);
}

function ownerOf(members: Map<number, GroupRole>): number {
  for (const [uid, role] of members) if (role === 'owner') return uid;
  throw new Error('group without an owner');
}

function unique(uids: readonly number[], without: number): number[] {
  return [...new Set(uids)].filter((u) => u !== without);
}

/**
 * The rules of groups (docs/protocol.md, "Groups"). Each change is one transaction that locks
 * the group, checks the actor's role, applies the change and appends its system message to the
 * group's seq; the caller pushes what it returns after the commit. A group that does not exist,
 * was dissolved, or does not have the actor as a member answers NOT_MEMBER alike.
 */
export class GroupService {
  private readonly store: GroupStore;

  constructor(private readonly options: GroupServiceOptions) {
    this.store = new GroupStore(options.pool);
  }

  async create(uid: number, name: string, avatar: string, memberUids: readonly number[]): Promise<GroupChange<GroupSummary>> {
    const others = unique(memberUids, uid);
    this.checkCap(1 + others.length);
    return this.transaction('group_create', async (conn) => {
      await this.requireFriends(conn, uid, others);
      const { groupId, conversationId } = await this.store.insertGroup(conn, name, avatar);
      const message = await this.store.appendSystemMessage(conn, conversationId, { event: 'created', actor: uid, uids: [uid, ...others], name });
      await this.store.addMembers(conn, conversationId, [{ uid, role: 'owner' }, ...others.map((m) => ({ uid: m, role: 'member' as const }))], message.seq - 1);
      const summary = (await this.store.summary(conn, groupId, uid)) as GroupSummary;
      return {
        answer: summary,
        messages: [{ message, recipients: [uid, ...others] }],
        notices: others.map((m) => ({ uid: m, body: { kind: 'added', group: publicSummary(summary), by: uid } })),
      };
    });
  }

  async invite(uid: number, groupId: number, uids: readonly number[]): Promise<GroupChange<{ added: number[]; pending: number[]; already: number[] }>> {
    return this.change<{ added: number[]; pending: number[]; already: number[] }>(uid, groupId, 'group_invite', async ({ conn, group, role, members }) => {
      const wanted = unique(uids, uid);
      const already = wanted.filter((u) => members.has(u));
      const fresh = wanted.filter((u) => !members.has(u));
      await this.requireFriends(conn, uid, fresh);
      if (fresh.length === 0) return { answer: { added: [], pending: [], already }, messages: [], notices: [] };
      if (group.approvalRequired && role === 'member') {
        await this.store.insertInvites(conn, groupId, uid, fresh);
        const invites = await this.store.pendingInvites(conn, groupId, fresh);
        const summary = this.groupFor(group, ownerOf(members), members.size);
        const approvers = [...members].filter(([, r]) => r !== 'member').map(([u]) => u);
        const notices = approvers.flatMap((a) => invites.map((invite) => ({ uid: a, body: { kind: 'invite_pending' as const, group: summary, by: uid, invite } })));
        return { answer: { added: [], pending: fresh, already }, messages: [], notices };
      }
      this.checkCap(members.size + fresh.length);
      const message = await this.store.appendSystemMessage(conn, group.conversationId, { event: 'joined', actor: uid, uids: fresh });
      await this.store.addMembers(conn, group.conversationId, fresh.map((m) => ({ uid: m, role: 'member' as const })), message.seq - 1);
      const after = new Map(members);
      for (const m of fresh) after.set(m, 'member');
      const summary = this.groupFor(group, ownerOf(members), after.size);
      return {
        answer: { added: fresh, pending: [], already },
        messages: [{ message, recipients: [...after.keys()] }],
        notices: fresh.map((m) => ({ uid: m, body: { kind: 'added', group: summary, by: uid } })),
      };
    });
  }

  async approve(uid: number, groupId: number, inviteId: number, approve: boolean): Promise<GroupChange<{ added: boolean }>> {
    return this.change<{ added: boolean }>(uid, groupId, 'group_approve', async ({ conn, group, role, members }) => {
      if (role === 'member') throw forbidden('Only the owner and admins approve invitations');
      const invite = await this.store.lockInvite(conn, groupId, inviteId);
      if (!invite) throw new ParleyError('NOT_FOUND', 'No such invitation');
      if (invite.status !== 'pending') throw new ParleyError('INVITE_NOT_PENDING');
      const joined = approve && !members.has(invite.inviteeUid);
      if (joined) this.checkCap(members.size + 1);
      await this.store.answerInvite(conn, inviteId, approve);
      if (!joined) return { answer: { added: false }, messages: [], notices: [] };
      const event: GroupEvent = { event: 'joined', actor: uid, uids: [invite.inviteeUid], inviter: invite.inviterUid };
      const message = await this.store.appendSystemMessage(conn, group.conversationId, event);
      await this.store.addMembers(conn, group.conversationId, [{ uid: invite.inviteeUid, role: 'member' }], message.seq - 1);
      const after = new Map(members).set(invite.inviteeUid, 'member');
      const summary = this.groupFor(group, ownerOf(members), after.size);
      return {
        answer: { added: true },
        messages: [{ message, recipients: [...after.keys()] }],
        notices: [{ uid: invite.inviteeUid, body: { kind: 'added', group: summary, by: uid } }],
      };
    });
  }

  async leave(uid: number, groupId: number): Promise<GroupChange<Record<string, never>>> {
    return this.change(uid, groupId, 'group_leave', async ({ conn, group, role, members }) => {
      if (role === 'owner') throw new ParleyError('OWNER_MUST_TRANSFER');
      const message = await this.store.appendSystemMessage(conn, group.conversationId, { event: 'left', actor: uid });
      await this.store.markLeft(conn, group.conversationId, [uid], message.seq);
      return { answer: {}, messages: [{ message, recipients: [...members.keys()] }], notices: [] };
    });
  }

  async remove(uid: number, groupId: number, target: number): Promise<GroupChange<Record<string, never>>> {
    return this.change(uid, groupId, 'group_remove', async ({ conn, group, role, members }) => {
      const targetRole = members.get(target);
      if (role === 'member') throw forbidden('Only the owner and admins remove members');
      if (target === uid) throw forbidden('Leave the group instead of removing yourself');
      if (targetRole === undefined) throw new ParleyError('NOT_FOUND', 'That user is not a member of this group');
      if (targetRole !== 'member' && role !== 'owner') throw forbidden('Only the owner removes the owner or an admin');
      const message = await this.store.appendSystemMessage(conn, group.conversationId, { event: 'removed', actor: uid, uids: [target] });
      await this.store.markLeft(conn, group.conversationId, [target], message.seq);
      const after = new Map(members);
      after.delete(target);
      const summary = this.groupFor(group, ownerOf(members), after.size);
      return {
        answer: {},
        messages: [{ message, recipients: [...members.keys()] }],
        notices: [{ uid: target, body: { kind: 'removed', group: summary, by: uid, reason: 'removed' } }],
      };
    });
  }

  async update(uid: number, groupId: number, change: { name?: string; avatar?: string; approvalRequired?: boolean }): Promise<GroupChange<GroupSummary>> {
    return this.change(uid, groupId, 'group_update', async ({ conn, group, role, members }) => {
      if (role !== 'owner') throw forbidden('Only the owner changes the group');
      const events: GroupEvent[] = [];
      if (change.name !== undefined && change.name !== group.name) events.push({ event: 'renamed', actor: uid, name: change.name });
      if (change.avatar !== undefined && change.avatar !== group.avatar) events.push({ event: 'avatar_changed', actor: uid, avatar: change.avatar });
      if (change.approvalRequired !== undefined && change.approvalRequired !== group.approvalRequired) {
        events.push({ event: 'approval_changed', actor: uid, approvalRequired: change.approvalRequired });
      }
      await this.store.updateGroup(conn, groupId, change);
      const messages: SystemPush[] = [];
      for (const event of events) messages.push({ message: await this.store.appendSystemMessage(conn, group.conversationId, event), recipients: [...members.keys()] });
      return { answer: (await this.store.summary(conn, groupId, uid)) as GroupSummary, messages, notices: [] };
    });
  }

  async setRole(uid: number, groupId: number, target: number, newRole: 'admin' | 'member'): Promise<GroupChange<Record<string, never>>> {
    return this.change(uid, groupId, 'group_role', async ({ conn, group, role, members }) => {
      if (role !== 'owner') throw forbidden('Only the owner appoints and demotes admins');
      const current = members.get(target);
      if (current === undefined) throw new ParleyError('NOT_FOUND', 'That user is not a member of this group');
      if (current === 'owner') throw forbidden('Transfer ownership to change the owner');
      if (current === newRole) return { answer: {}, messages: [], notices: [] };
      await this.store.setRole(conn, group.conversationId, target, newRole);
      const message = await this.store.appendSystemMessage(conn, group.conversationId, { event: 'role_changed', actor: uid, uids: [target], role: newRole });
      return { answer: {}, messages: [{ message, recipients: [...members.keys()] }], notices: [] };
    });
  }

  async transfer(uid: number, groupId: number, target: number): Promise<GroupChange<Record<string, never>>> {
    return this.change(uid, groupId, 'group_transfer', async ({ conn, group, role, members }) => {
      if (role !== 'owner') throw forbidden('Only the owner transfers ownership');
      if (target === uid) throw forbidden('You already own this group');
      if (!members.has(target)) throw new ParleyError('NOT_FOUND', 'That user is not a member of this group');
      await this.store.setRole(conn, group.conversationId, target, 'owner');
      await this.store.setRole(conn, group.conversationId, uid, 'admin');
      const message = await this.store.appendSystemMessage(conn, group.conversationId, { event: 'owner_transferred', actor: uid, uids: [target] });
      return { answer: {}, messages: [{ message, recipients: [...members.keys()] }], notices: [] };
    });
  }

  async dissolve(uid: number, groupId: number): Promise<GroupChange<Record<string, never>>> {
    return this.change(uid, groupId, 'group_dissolve', async ({ conn, group, role, members }) => {
      if (role !== 'owner') throw forbidden('Only the owner dissolves the group');
      const message = await this.store.appendSystemMessage(conn, group.conversationId, { event: 'dissolved', actor: uid });
      const everyone = [...members.keys()];
      await this.store.markLeft(conn, group.conversationId, everyone, message.seq);
      await this.store.markDissolved(conn, groupId);
      const summary = this.groupFor(group, uid, 0);
      return {
        answer: {},
        messages: [{ message, recipients: everyone }],
        notices: everyone.filter((m) => m !== uid).map((m) => ({ uid: m, body: { kind: 'removed', group: summary, by: uid, reason: 'dissolved' } })),
      };
    });
  }

  list(uid: number): Promise<GroupSummary[]> {
    return this.store.summaries(this.options.pool, uid);
  }

  async info(uid: number, groupId: number, afterUid = 0, limit = DEFAULT_GROUP_MEMBER_PAGE): Promise<{ group: GroupSummary; members: GroupMember[]; nextAfterUid?: number; pendingInvites?: GroupInvite[] }> {
    const group = await this.store.summary(this.options.pool, groupId, uid);
    if (!group) throw notMember();
    const page = await this.store.memberPage(group.conversationId, afterUid, limit);
    const last = page.members[page.members.length - 1];
    return {
      group,
      members: page.members,
      ...(page.more && last ? { nextAfterUid: last.uid } : {}),
      ...(group.myRole !== 'member' ? { pendingInvites: await this.store.pendingInvites(this.options.pool, groupId) } : {}),
    };
  }

  /** Runs a change of an existing group by one of its current members, in one transaction. */
  private change<T>(uid: number, groupId: number, label: string, fn: (locked: Locked) => Promise<GroupChange<T>>): Promise<GroupChange<T>> {
    return this.transaction(label, async (conn) => {
      const group = await this.store.lockGroup(conn, groupId);
      if (!group || group.dissolved) throw notMember();
      const members = await this.store.activeMembers(conn, group.conversationId);
      const role = members.get(uid);
      if (role === undefined) throw notMember();
      return fn({ conn, group, role, members });
    });
  }

  private transaction<T>(label: string, fn: (conn: PoolConnection) => Promise<T>): Promise<T> {
    return withTransaction(this.options.pool, fn, { logger: this.options.logger, label });
  }

  private checkCap(count: number): void {
    const { maxMembers } = this.options;
    if (count > maxMembers) throw new ParleyError('GROUP_FULL', `A group has at most ${maxMembers} members`, { details: { maxMembers } });
  }

  /** Every uid must be a friend of the actor; NOT_FRIENDS names those who are not. */
  private async requireFriends(conn: PoolConnection, uid: number, uids: readonly number[]): Promise<void> {
    const friends = await this.store.friendsAmong(conn, uid, uids);
    const strangers = uids.filter((u) => !friends.has(u));
    if (strangers.length > 0) throw new ParleyError('NOT_FRIENDS', 'You can only add your friends', { details: { uids: strangers } });
  }

  /** The group's public summary from what the transaction holds (no myRole: it is sent to others). */
  private groupFor(group: GroupRow, ownerUid: number, memberCount: number): GroupNotify['group'] {
    return {
      groupId: group.groupId,
      conversationId: group.conversationId,
      name: group.name,
      avatar: group.avatar,
      ownerUid,
      approvalRequired: group.approvalRequired,
      memberCount,
    };
  }
}

function publicSummary(summary: GroupSummary): GroupNotify['group'] {
  const { myRole: _myRole, ...rest } = summary;
  return rest;
}
