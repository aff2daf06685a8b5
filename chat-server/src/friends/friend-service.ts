import type { PoolConnection, ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import { ParleyError, type Logger, type MysqlPool } from '@parley/common';
import { DEFAULT_SEARCH_LIMIT, type FriendRequestInfo, type FriendRequestStatus, type PublicUser } from '@parley/protocol';
import { revokeDirectPosting } from '../db/post-epoch';
import { withTransaction } from '../db/transaction';
import { eitherBlocked } from './block-service';
import { lockUserPair, type LockedUserRow } from './friend-transaction';

/** At most this many incoming and this many outgoing requests are listed. */
export const MAX_LISTED_REQUESTS = 100;

/** A friend as stored: public fields and the direct conversation; `online` is added by the caller. */
export interface StoredFriend {
  user: PublicUser;
  conversationId: number;
}

/** Both sides of a new friendship: the request that made it, and each user's view of the other. */
export interface Befriended {
  /** The request the addressee answered (status now 'accepted'). */
  request: FriendRequestInfo;
  conversationId: number;
  from: PublicUser;
  to: PublicUser;
}

export type SendRequestResult =
  /** A new (or renewed after a decline / an old friendship) pending request to the target. */
  | { kind: 'sent'; request: FriendRequestInfo }
  /**
   * The target already had a pending request to us, so ours accepts theirs: `own` is our request
   * (stored as accepted), `theirs` is their request, now accepted; the two became friends.
   */
  | { kind: 'mutual'; own: FriendRequestInfo; theirs: FriendRequestInfo; conversationId: number; me: PublicUser; them: PublicUser };

export type ReplyResult =
  | { kind: 'accepted'; befriended: Befriended; alreadyFriends: boolean }
  | { kind: 'declined'; request: FriendRequestInfo; alreadyDeclined: boolean };

interface RequestRow extends RowDataPacket {
  id: number;
  from_uid: number;
  to_uid: number;
  note: string;
  status: FriendRequestStatus;
  created_at: Date;
}

interface PairRequestRow extends RequestRow {
  /** Seconds since the row last changed (its decline, for a declined request), by the database's clock. */
  age_sec: number;
}

interface RequestListRow extends RequestRow {
  f_name: string;
  f_nickname: string;
  f_avatar: string;
  t_name: string;
  t_nickname: string;
  t_avatar: string;
}

interface FriendRow extends RowDataPacket {
  id: number;
  name: string;
  nickname: string;
  avatar: string;
  conversation_id: number;
}

const PUBLIC_USER_COLUMNS = 'id, name, nickname, avatar';
const LIKE_ESCAPE = '!';

/** Escapes LIKE's wildcards (and the escape character itself) so the query matches literally. */
export function escapeLike(s: string): string {
  return s.replace(/[!%_]/g, (c) => LIKE_ESCAPE + c);
}

/** The `direct_key` of the one-to-one conversation between two users. */
export function directKey(a: number, b: number): string {
  return a < b ? `${a}:${b}` : `${b}:${a}`;
}

function publicUser(row: { id: number; name: string; nickname: string; avatar: string }): PublicUser {
  return { uid: Number(row.id), name: row.name, nickname: row.nickname, avatar: row.avatar };
}

function requestInfo(row: RequestRow, from: PublicUser, to: PublicUser): FriendRequestInfo {
  return { requestId: Number(row.id), from, to, note: row.note, status: row.status, createdAt: row.created_at.getTime() };
}

function listedRequest(row: RequestListRow): FriendRequestInfo {
  return requestInfo(
    row,
    { uid: Number(row.from_uid), name: row.f_name, nickname: row.f_nickname, avatar: row.f_avatar },
    { uid: Number(row.to_uid), name: row.t_name, nickname: row.t_nickname, avatar: row.t_avatar },
  );
}

function lockedUser(users: Map<number, LockedUserRow>, uid: number): PublicUser {
  const row = users.get(uid);
  if (row === undefined) throw new ParleyError('NOT_FOUND', 'No such user');
  return publicUser(row);
}

/**
 * Friends in SQL: search, requests, replies, the friend list and unfriending. Knows nothing of
 * sessions or notifications (friend-handlers does that). Every write runs in a transaction that
 * first locks both users' rows in id order (lockUserPair), so concurrent operations on one pair
 * are serialised and cannot deadlock each other; any deadlock with other code is retried.
 */
export class FriendService {
  constructor(
    private readonly pool: MysqlPool,
    private readonly logger: Logger,
    /** After a decline, seconds before the same sender may ask the same user again (0 = at once). */
    private readonly requestCooldownSec = 0,
  ) {}

  /**
   * Users whose name starts with `query` (case-insensitive by the column's collation; LIKE wildcards
   * in the query match literally; surrounding blanks ignored), or whose uid is `query` when it is
   * a number. A prefix (`LIKE 'q%'`) is a range scan of uk_users_name, where a leading wildcard read
   * every row. Users have no deleted state, so nobody is left out (the caller included). Exact uid
   * first, then exact name, then the other matches, by name. The offset is capped by the protocol
   * (MAX_SEARCH_OFFSET), so paging cannot list every user.
   */
  async searchUsers(query: string, offset = 0, limit = DEFAULT_SEARCH_LIMIT): Promise<PublicUser[]> {
    const q = query.trim();
    if (q === '') return [];
    const uid = /^\d{1,16}$/.test(q) && Number.isSafeInteger(Number(q)) ? Number(q) : 0;
    const escaped = escapeLike(q);
    const [rows] = await this.pool.query<LockedUserRow[]>(
      `SELECT ${PUBLIC_USER_COLUMNS} FROM users
        WHERE id = ? OR name LIKE ? ESCAPE '${LIKE_ESCAPE}'
        ORDER BY id = ? DESC, name = ? DESC, name, id
        LIMIT ? OFFSET ?`,
      [uid, `${escaped}%`, uid, q, limit, offset],
    );
    return rows.map(publicUser);
  }

  /**
   * Sends a request from `fromUid` to `toUid`.
   * A second request while ours is still pending is refused with REQUEST_PENDING rather than
   * refreshing the note: it would notify the target again, and refusing makes a retried send
   * harmless. After a decline (or a past friendship) the same row is reused: note replaced,
   * status back to pending, created_at renewed so it lists as recent.
   * If the target has a pending request to us, both want it: theirs is accepted (see Befriended).
   */
  async sendRequest(fromUid: number, toUid: number, note: string): Promise<SendRequestResult> {
    if (fromUid === toUid) throw new ParleyError('SELF_REQUEST');
    return withTransaction(
      this.pool,
      async (conn) => {
        const users = await lockUserPair(conn, fromUid, toUid);
        const me = lockedUser(users, fromUid);
        const them = lockedUser(users, toUid);
        if (await eitherBlocked(conn, fromUid, toUid)) throw new ParleyError('BLOCKED');
        if (await this.areFriends(conn, fromUid, toUid)) throw new ParleyError('ALREADY_FRIENDS');
        const pair = await this.pairRequests(conn, fromUid, toUid);
        const own = pair.find((r) => r.from_uid === fromUid);
        const theirs = pair.find((r) => r.from_uid === toUid);
        if (own?.status === 'pending') throw new ParleyError('REQUEST_PENDING');
        if (own?.status === 'declined' && Number(own.age_sec) < this.requestCooldownSec) {
          throw new ParleyError('REQUEST_COOLDOWN', undefined, { details: { retryAfterSec: this.requestCooldownSec - Number(own.age_sec) } });
        }
        if (theirs?.status === 'pending') {
          const ownId = await this.upsertRequest(conn, fromUid, toUid, note, 'accepted');
          const conversationId = await this.befriend(conn, fromUid, toUid);
          const ownRow = await this.requestById(conn, ownId);
          const theirRow = await this.requestById(conn, Number(theirs.id));
          return { kind: 'mutual', own: requestInfo(ownRow, me, them), theirs: requestInfo(theirRow, them, me), conversationId, me, them };
        }
        const id = await this.upsertRequest(conn, fromUid, toUid, note, 'pending');
        return { kind: 'sent', request: requestInfo(await this.requestById(conn, id), me, them) };
      },
      { logger: this.logger, label: 'friend_request' },
    );
  }

  /** Incoming and outgoing requests of `uid`: pending first, then most recent first; bounded. */
  async listRequests(uid: number): Promise<{ incoming: FriendRequestInfo[]; outgoing: FriendRequestInfo[] }> {
    const sql = (column: 'to_uid' | 'from_uid') =>
      `SELECT r.id, r.from_uid, r.to_uid, r.note, r.status, r.created_at,
              f.name AS f_name, f.nickname AS f_nickname, f.avatar AS f_avatar,
              t.name AS t_name, t.nickname AS t_nickname, t.avatar AS t_avatar
         FROM friend_requests r
         JOIN users f ON f.id = r.from_uid
         JOIN users t ON t.id = r.to_uid
        WHERE r.${column} = ?
        ORDER BY r.status = 'pending' DESC, r.created_at DESC, r.id DESC
        LIMIT ?`;
    const [[incoming], [outgoing]] = await Promise.all([
      this.pool.query<RequestListRow[]>(sql('to_uid'), [uid, MAX_LISTED_REQUESTS]),
      this.pool.query<RequestListRow[]>(sql('from_uid'), [uid, MAX_LISTED_REQUESTS]),
    ]);
    return { incoming: incoming.map(listedRequest), outgoing: outgoing.map(listedRequest) };
  }

  /**
   * The addressee `uid` accepts or declines request `requestId`. NOT_FOUND for an unknown id and
   * (the same answer, so ids cannot be probed) for a request addressed to someone else. Repeating the same answer is harmless (accepting
   * again while friends, declining again); any other answer to a request that is no longer
   * pending is REQUEST_NOT_PENDING.
   */
  async reply(uid: number, requestId: number, accept: boolean): Promise<ReplyResult> {
    return withTransaction(
      this.pool,
      async (conn) => {
        // Someone else's request is answered exactly like one that does not exist: no oracle for ids.
        const [found] = await conn.query<RequestRow[]>('SELECT id, from_uid, to_uid FROM friend_requests WHERE id = ? AND to_uid = ?', [requestId, uid]);
        const peek = found[0];
        if (peek === undefined) throw new ParleyError('NOT_FOUND', 'No such friend request');
        const fromUid = Number(peek.from_uid);
        const users = await lockUserPair(conn, fromUid, uid);
        const from = lockedUser(users, fromUid);
        const to = lockedUser(users, uid);
        // Re-read under the pair lock: another transaction may have answered it meanwhile.
        const row = await this.requestById(conn, requestId);
        const friends = await this.areFriends(conn, fromUid, uid);
        if (accept) {
          // Blocking declines pending requests, so this only guards the invariant "never friends while blocked".
          if (!friends && (await eitherBlocked(conn, fromUid, uid))) throw new ParleyError('BLOCKED');
          if (row.status === 'accepted' && friends) {
            const conversationId = await this.conversationOf(conn, uid, fromUid);
            return { kind: 'accepted', alreadyFriends: true, befriended: { request: requestInfo(row, from, to), conversationId, from, to } };
          }
          if (row.status !== 'pending') throw new ParleyError('REQUEST_NOT_PENDING');
          const conversationId = await this.befriend(conn, fromUid, uid);
          const accepted = await this.requestById(conn, requestId);
          return { kind: 'accepted', alreadyFriends: false, befriended: { request: requestInfo(accepted, from, to), conversationId, from, to } };
        }
        if (row.status === 'declined') return { kind: 'declined', alreadyDeclined: true, request: requestInfo(row, from, to) };
        if (row.status !== 'pending') throw new ParleyError('REQUEST_NOT_PENDING');
        await conn.query("UPDATE friend_requests SET status = 'declined' WHERE id = ?", [requestId]);
        return { kind: 'declined', alreadyDeclined: false, request: requestInfo(await this.requestById(conn, requestId), from, to) };
      },
      { logger: this.logger, label: 'friend_reply' },
    );
  }

  /** `uid`'s friends with their direct conversations, by name. */
  async listFriends(uid: number): Promise<StoredFriend[]> {
    const [rows] = await this.pool.query<FriendRow[]>(
      `SELECT u.id, u.name, u.nickname, u.avatar, f.conversation_id
         FROM friendships f JOIN users u ON u.id = f.friend_id
        WHERE f.user_id = ?
        ORDER BY u.name, u.id`,
      [uid],
    );
    return rows.map((r) => ({ user: publicUser(r), conversationId: Number(r.conversation_id) }));
  }

  /**
   * Ends the friendship between `uid` and `friendUid` (both rows). The direct conversation, its
   * members and its history stay, so befriending again continues it. NOT_FRIENDS when they aren't.
   */
  async deleteFriend(uid: number, friendUid: number): Promise<void> {
    if (uid === friendUid) throw new ParleyError('NOT_FRIENDS');
    await withTransaction(
      this.pool,
      async (conn) => {
        await lockUserPair(conn, uid, friendUid).catch((err: unknown) => {
          throw err instanceof ParleyError && err.code === 'NOT_FOUND' ? new ParleyError('NOT_FRIENDS') : err;
        });
        await revokeDirectPosting(conn, uid, friendUid);
        const [res] = await conn.query<ResultSetHeader>(
          'DELETE FROM friendships WHERE (user_id = ? AND friend_id = ?) OR (user_id = ? AND friend_id = ?)',
          [uid, friendUid, friendUid, uid],
        );
        if (res.affectedRows === 0) throw new ParleyError('NOT_FRIENDS');
      },
      { logger: this.logger, label: 'friend_delete' },
    );
  }

  // --- inside a transaction holding the pair lock ---

  private async areFriends(conn: PoolConnection, a: number, b: number): Promise<boolean> {
    const [rows] = await conn.query<RowDataPacket[]>('SELECT 1 FROM friendships WHERE user_id = ? AND friend_id = ?', [a, b]);
    return rows.length > 0;
  }

  private async pairRequests(conn: PoolConnection, a: number, b: number): Promise<PairRequestRow[]> {
    const [rows] = await conn.query<PairRequestRow[]>(
      `SELECT id, from_uid, to_uid, note, status, created_at, TIMESTAMPDIFF(SECOND, updated_at, CURRENT_TIMESTAMP(3)) AS age_sec FROM friend_requests
        WHERE (from_uid = ? AND to_uid = ?) OR (from_uid = ? AND to_uid = ?)`,
      [a, b, b, a],
    );
    return rows.map((r) => ({ ...r, from_uid: Number(r.from_uid), to_uid: Number(r.to_uid) }) as PairRequestRow);
  }

  private async requestById(conn: PoolConnection, id: number): Promise<RequestRow> {
    const [rows] = await conn.query<RequestRow[]>('SELECT id, from_uid, to_uid, note, status, created_at FROM friend_requests WHERE id = ?', [id]);
    const row = rows[0];
    if (row === undefined) throw new ParleyError('NOT_FOUND', 'No such friend request');
    return row;
  }

  /** Inserts or reuses the (from, to) row (UNIQUE(from_uid, to_uid)) and returns its id. */
  private async upsertRequest(conn: PoolConnection, fromUid: number, toUid: number, note: string, status: 'pending' | 'accepted'): Promise<number> {
    const [res] = await conn.query<ResultSetHeader>(
      `INSERT INTO friend_requests (from_uid, to_uid, note, status) VALUES (?, ?, ?, ?)
       ON DUPLICATE KEY UPDATE id = LAST_INSERT_ID(id), note = VALUES(note), status = VALUES(status),
                               created_at = CURRENT_TIMESTAMP(3)`,
      [fromUid, toUid, note, status],
    );
    return Number(res.insertId);
  }

  private async conversationOf(conn: PoolConnection, uid: number, friendUid: number): Promise<number> {
    const [rows] = await conn.query<RowDataPacket[]>('SELECT conversation_id FROM friendships WHERE user_id = ? AND friend_id = ?', [uid, friendUid]);
    const id = rows[0]?.conversation_id as number | undefined;
    if (id === undefined) throw new ParleyError('NOT_FRIENDS');
    return Number(id);
  }

  /**
   * Makes a and b friends: the direct conversation (the existing one when they talked before, so
   * history continues), both memberships, both friendship rows, and every pending request between
   * them marked accepted. Idempotent. Returns the conversation id.
   */
  private async befriend(conn: PoolConnection, a: number, b: number): Promise<number> {
    const [conv] = await conn.query<ResultSetHeader>(
      `INSERT INTO conversations (kind, direct_key) VALUES ('direct', ?)
       ON DUPLICATE KEY UPDATE id = LAST_INSERT_ID(id)`,
      [directKey(a, b)],
    );
    const conversationId = Number(conv.insertId);
    await conn.query('INSERT IGNORE INTO conversation_members (conversation_id, user_id) VALUES (?, ?), (?, ?)', [conversationId, a, conversationId, b]);
    await conn.query(
      `INSERT INTO friendships (user_id, friend_id, conversation_id) VALUES (?, ?, ?), (?, ?, ?)
       ON DUPLICATE KEY UPDATE conversation_id = VALUES(conversation_id)`,
      [a, b, conversationId, b, a, conversationId],
    );
    await conn.query(
      `UPDATE friend_requests SET status = 'accepted'
        WHERE ((from_uid = ? AND to_uid = ?) OR (from_uid = ? AND to_uid = ?)) AND status = 'pending'`,
      [a, b, b, a],
    );
    return conversationId;
  }
}
