import { randomBytes } from 'node:crypto';
import type { PoolConnection, ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import type { MysqlPool } from '@parley/common';
import type { ChatMessage, GroupEvent, GroupInvite, GroupMember, GroupRole, GroupSummary, PublicUser } from '@parley/protocol';
import { revokeGroupPosting } from '../db/post-epoch';

/** A querier: the pool, or the connection of a transaction. */
type Db = MysqlPool | PoolConnection;

/** chat_groups row, locked by `lockGroup`. */
export interface GroupRow {
  groupId: number;
  conversationId: number;
  name: string;
  avatar: string;
  approvalRequired: boolean;
  dissolved: boolean;
}

export interface PendingInviteRow {
  inviteId: number;
  inviteeUid: number;
  inviterUid: number;
  status: 'pending' | 'approved' | 'declined';
}

const PUBLIC_USER_COLUMNS = 'u.id, u.name, u.nickname, u.avatar';

function publicUser(row: RowDataPacket, prefix = ''): PublicUser {
  return { uid: Number(row[`${prefix}id`]), name: String(row[`${prefix}name`]), nickname: String(row[`${prefix}nickname`]), avatar: String(row[`${prefix}avatar`]) };
}

/** Server-made clientMsgId of a system message: printable ASCII, unguessable, so it never meets a client's id. */
export function systemMessageId(): string {
  return `sys.${randomBytes(16).toString('base64url')}`;
}

/**
 * The SQL of groups. Membership lives in conversation_members alone (role, joined_seq, left_seq;
 * docs/schema.md). Every change runs in a transaction that first locks the chat_groups row (one
 * change at a time per group), then takes the conversation's row lock by reserving the seq of its
 * system message — the same lock the message committer holds while it stores messages and reads
 * the recipients, so a message's recipients are exactly the members at its seq.
 */
export class GroupStore {
  constructor(private readonly pool: MysqlPool) {}

  /** Locks the group's row for the rest of the transaction; undefined when there is no such group. */
  async lockGroup(conn: PoolConnection, groupId: number): Promise<GroupRow | undefined> {
    const [rows] = await conn.query<RowDataPacket[]>(
      'SELECT id, conversation_id, name, avatar, approval_required, dissolved_at FROM chat_groups WHERE id = ? FOR UPDATE',
      [groupId],
    );
    const row = rows[0];
    if (!row) return undefined;
    return {
      groupId: Number(row.id),
      conversationId: Number(row.conversation_id),
      name: String(row.name),
      avatar: String(row.avatar),
      approvalRequired: Number(row.approval_required) === 1,
      dissolved: row.dissolved_at !== null,
    };
  }

  /** Current members and their roles (ascending uid). */
  async activeMembers(db: Db, conversationId: number): Promise<Map<number, GroupRole>> {
    const [rows] = await db.query<RowDataPacket[]>(
      'SELECT user_id, role FROM conversation_members WHERE conversation_id = ? AND left_seq IS NULL ORDER BY user_id',
      [conversationId],
    );
    return new Map(rows.map((r) => [Number(r.user_id), (r.role ?? 'member') as GroupRole]));
  }

  /** The role of a current member; undefined for anyone else. */
  async roleOf(db: Db, conversationId: number, uid: number): Promise<GroupRole | undefined> {
    const [rows] = await db.query<RowDataPacket[]>(
      'SELECT role FROM conversation_members WHERE conversation_id = ? AND user_id = ? AND left_seq IS NULL',
      [conversationId, uid],
    );
    const row = rows[0];
    return row ? ((row.role ?? 'member') as GroupRole) : undefined;
  }

  /** Which of `uids` are friends of `uid`. */
  async friendsAmong(db: Db, uid: number, uids: readonly number[]): Promise<Set<number>> {
    if (uids.length === 0) return new Set();
    const [rows] = await db.query<RowDataPacket[]>('SELECT friend_id FROM friendships WHERE user_id = ? AND friend_id IN (?)', [uid, [...uids]]);
    return new Set(rows.map((r) => Number(r.friend_id)));
  }

  /** A new group conversation and its chat_groups row; returns both ids. */
  async insertGroup(conn: PoolConnection, name: string, avatar: string): Promise<{ groupId: number; conversationId: number }> {
    const [conv] = await conn.query<ResultSetHeader>("INSERT INTO conversations (kind) VALUES ('group')");
    const conversationId = conv.insertId;
    const [group] = await conn.query<ResultSetHeader>('INSERT INTO chat_groups (name, avatar, conversation_id) VALUES (?, ?, ?)', [name, avatar, conversationId]);
    return { groupId: group.insertId, conversationId };
  }

  /**
   * Appends a system message to the conversation: reserves the next seq (taking the row lock) and
   * stores the event. Returns the message as clients will see it.
   */
  async appendSystemMessage(conn: PoolConnection, conversationId: number, event: GroupEvent): Promise<ChatMessage> {
    await conn.query('UPDATE conversations SET max_seq = max_seq + 1 WHERE id = ?', [conversationId]);
    const [rows] = await conn.query<RowDataPacket[]>('SELECT max_seq FROM conversations WHERE id = ?', [conversationId]);
    const seq = Number(rows[0]?.max_seq);
    const now = Date.now();
    const clientMsgId = systemMessageId();
    const body = JSON.stringify(event);
    await conn.query(
      "INSERT INTO messages (conversation_id, seq, sender_uid, client_msg_id, type, body, created_at) VALUES (?, ?, ?, ?, 'system', ?, ?)",
      [conversationId, seq, event.actor, clientMsgId, body, new Date(now)],
    );
    return { conversationId, seq, senderUid: event.actor, clientMsgId, type: 'system', body, serverTime: now };
  }

  /**
   * Makes users members from `joinedSeq` on (they read what follows it): a new row, or a former
   * member's row reopened. Their unread count starts at the join.
   */
  async addMembers(conn: PoolConnection, conversationId: number, members: readonly { uid: number; role: GroupRole }[], joinedSeq: number): Promise<void> {
    if (members.length === 0) return;
    await conn.query(
      `INSERT INTO conversation_members (conversation_id, user_id, role, acked_seq, joined_seq, left_seq, joined_at) VALUES ?
         ON DUPLICATE KEY UPDATE role = VALUES(role), acked_seq = VALUES(acked_seq), joined_seq = VALUES(joined_seq), left_seq = NULL, joined_at = VALUES(joined_at)`,
      [members.map((m) => [conversationId, m.uid, m.role, joinedSeq, joinedSeq, null, new Date()])],
    );
  }

  /** Ends the membership of `uids` at `leftSeq` (the seq of the system message that records it). */
  async markLeft(conn: PoolConnection, conversationId: number, uids: readonly number[], leftSeq: number): Promise<void> {
    if (uids.length === 0) return;
    await conn.query('UPDATE conversation_members SET left_seq = ? WHERE conversation_id = ? AND user_id IN (?) AND left_seq IS NULL', [leftSeq, conversationId, [...uids]]);
    await revokeGroupPosting(conn, conversationId);
  }

  async setRole(conn: PoolConnection, conversationId: number, uid: number, role: GroupRole): Promise<void> {
    await conn.query('UPDATE conversation_members SET role = ? WHERE conversation_id = ? AND user_id = ? AND left_seq IS NULL', [role, conversationId, uid]);
  }

  async updateGroup(conn: PoolConnection, groupId: number, change: { name?: string; avatar?: string; approvalRequired?: boolean }): Promise<void> {
    const sets: string[] = [];
    const args: unknown[] = [];
    const add = (sql: string, value: unknown): void => {
      sets.push(sql);
      args.push(value);
    };
    if (change.name !== undefined) add('name = ?', change.name);
    if (change.avatar !== undefined) add('avatar = ?', change.avatar);
    if (change.approvalRequired !== undefined) add('approval_required = ?', change.approvalRequired ? 1 : 0);
    if (sets.length > 0) await conn.query(`UPDATE chat_groups SET ${sets.join(', ')} WHERE id = ?`, [...args, groupId]);
  }

  async markDissolved(conn: PoolConnection, groupId: number): Promise<void> {
    await conn.query('UPDATE chat_groups SET dissolved_at = CURRENT_TIMESTAMP(3) WHERE id = ?', [groupId]);
  }

  /** Stores invitations awaiting approval (a newer invitation of the same user replaces an answered one). */
  async insertInvites(conn: PoolConnection, groupId: number, inviterUid: number, invitees: readonly number[]): Promise<void> {
    if (invitees.length === 0) return;
    await conn.query(
      `INSERT INTO group_invites (group_id, invitee_uid, inviter_uid) VALUES ?
         ON DUPLICATE KEY UPDATE inviter_uid = IF(status = 'pending', inviter_uid, VALUES(inviter_uid)),
                                 created_at = IF(status = 'pending', created_at, CURRENT_TIMESTAMP(3)),
                                 status = 'pending'`,
      [invitees.map((uid) => [groupId, uid, inviterUid])],
    );
  }

  async lockInvite(conn: PoolConnection, groupId: number, inviteId: number): Promise<PendingInviteRow | undefined> {
    const [rows] = await conn.query<RowDataPacket[]>('SELECT id, invitee_uid, inviter_uid, status FROM group_invites WHERE id = ? AND group_id = ? FOR UPDATE', [inviteId, groupId]);
    const row = rows[0];
    if (!row) return undefined;
    return { inviteId: Number(row.id), inviteeUid: Number(row.invitee_uid), inviterUid: Number(row.inviter_uid), status: row.status as PendingInviteRow['status'] };
  }

  async answerInvite(conn: PoolConnection, inviteId: number, approved: boolean): Promise<void> {
    await conn.query('UPDATE group_invites SET status = ? WHERE id = ?', [approved ? 'approved' : 'declined', inviteId]);
  }

  /** Pending invitations of a group with both users' public fields; `ids` narrows to some invitees. */
  async pendingInvites(db: Db, groupId: number, invitees?: readonly number[]): Promise<GroupInvite[]> {
    if (invitees && invitees.length === 0) return [];
    const [rows] = await db.query<RowDataPacket[]>(
      `SELECT i.id AS invite_id, i.created_at,
              e.id AS e_id, e.name AS e_name, e.nickname AS e_nickname, e.avatar AS e_avatar,
              r.id AS r_id, r.name AS r_name, r.nickname AS r_nickname, r.avatar AS r_avatar
         FROM group_invites i JOIN users e ON e.id = i.invitee_uid JOIN users r ON r.id = i.inviter_uid
        WHERE i.group_id = ? AND i.status = 'pending' ${invitees ? 'AND i.invitee_uid IN (?)' : ''}
        ORDER BY i.id LIMIT 500`,
      invitees ? [groupId, [...invitees]] : [groupId],
    );
    return rows.map((r) => ({
      inviteId: Number(r.invite_id),
      groupId,
      invitee: publicUser(r, 'e_'),
      inviter: publicUser(r, 'r_'),
      createdAt: (r.created_at as Date).getTime(),
    }));
  }

  /** The group as `uid` sees it; undefined unless `uid` is a current member. */
  async summary(db: Db, groupId: number, uid: number): Promise<GroupSummary | undefined> {
    const list = await this.summaries(db, uid, groupId);
    return list[0];
  }

  /** The groups `uid` is a current member of (or just `groupId`), with owner and member count. */
  async summaries(db: Db, uid: number, groupId?: number): Promise<GroupSummary[]> {
    const [rows] = await (db as MysqlPool).query<RowDataPacket[]>(
      `SELECT g.id, g.conversation_id, g.name, g.avatar, g.approval_required, cm.role AS my_role,
              (SELECT o.user_id FROM conversation_members o
                WHERE o.conversation_id = g.conversation_id AND o.role = 'owner' AND o.left_seq IS NULL LIMIT 1) AS owner_uid,
              (SELECT COUNT(*) FROM conversation_members a
                WHERE a.conversation_id = g.conversation_id AND a.left_seq IS NULL) AS member_count
         FROM conversation_members cm
         JOIN chat_groups g ON g.conversation_id = cm.conversation_id
        WHERE cm.user_id = ? AND cm.left_seq IS NULL ${groupId !== undefined ? 'AND g.id = ?' : ''}
        ORDER BY g.id`,
      groupId !== undefined ? [uid, groupId] : [uid],
    );
    return rows.map((r) => ({
      groupId: Number(r.id),
      conversationId: Number(r.conversation_id),
      name: String(r.name),
      avatar: String(r.avatar),
      ownerUid: Number(r.owner_uid),
      approvalRequired: Number(r.approval_required) === 1,
      memberCount: Number(r.member_count),
      myRole: (r.my_role ?? 'member') as GroupRole,
    }));
  }

  /** One page of current members ordered by uid, after `afterUid`; one extra row tells whether more follow. */
  async memberPage(conversationId: number, afterUid: number, limit: number): Promise<{ members: GroupMember[]; more: boolean }> {
    const [rows] = await this.pool.query<RowDataPacket[]>(
      `SELECT ${PUBLIC_USER_COLUMNS}, cm.role, cm.joined_at
         FROM conversation_members cm JOIN users u ON u.id = cm.user_id
        WHERE cm.conversation_id = ? AND cm.left_seq IS NULL AND cm.user_id > ?
        ORDER BY cm.user_id LIMIT ?`,
      [conversationId, afterUid, limit + 1],
    );
    const members = rows.slice(0, limit).map((r) => ({ ...publicUser(r), role: (r.role ?? 'member') as GroupRole, joinedAt: (r.joined_at as Date).getTime() }));
    return { members, more: rows.length > limit };
  }

  /** Public fields of some users, by uid. */
  async publicUsers(db: Db, uids: readonly number[]): Promise<Map<number, PublicUser>> {
    if (uids.length === 0) return new Map();
    const [rows] = await db.query<RowDataPacket[]>(`SELECT ${PUBLIC_USER_COLUMNS} FROM users u WHERE u.id IN (?)`, [[...uids]]);
    return new Map(rows.map((r) => [Number(r.id), publicUser(r)]));
  }
}
