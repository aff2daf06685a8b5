import type { PoolConnection, ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import { ParleyError, type Logger, type MysqlPool } from '@parley/common';
import { MAX_LISTED_BLOCKS, type BlockedUser } from '@parley/protocol';
import { withTransaction } from '../db/transaction';
import { lockUserPair } from './friend-transaction';
import { revokeDirectPosting } from '../db/post-epoch';

interface BlockedRow extends RowDataPacket {
  id: number;
  name: string;
  nickname: string;
  avatar: string;
  created_at: Date;
}

/** True when either of a and b has blocked the other (inside a transaction holding the pair lock). */
export async function eitherBlocked(conn: PoolConnection, a: number, b: number): Promise<boolean> {
  const [rows] = await conn.query<RowDataPacket[]>(
    'SELECT 1 FROM blocks WHERE (blocker_uid = ? AND blocked_uid = ?) OR (blocker_uid = ? AND blocked_uid = ?) LIMIT 1',
    [a, b, b, a],
  );
  return rows.length > 0;
}

/**
 * Blocking in SQL. Blocking ends the friendship and declines the pending requests between the two
 * in the same transaction (under the pair lock every friend operation takes), so a friendship and
 * a block never exist together: the message INSERT's friendship check then also refuses a blocked
 * pair, and the blocked user never sees the blocker's online state (it is only shown to friends).
 */
export class BlockService {
  constructor(
    private readonly pool: MysqlPool,
    private readonly logger: Logger,
  ) {}

  /** uid blocks other; resolves whether a friendship ended. Blocking again is harmless. */
  async block(uid: number, other: number): Promise<{ unfriended: boolean }> {
    if (uid === other) throw new ParleyError('VALIDATION_FAILED', 'You cannot block yourself', { details: { field: 'uid' } });
    return withTransaction(
      this.pool,
      async (conn) => {
        await lockUserPair(conn, uid, other);
        await conn.query('INSERT IGNORE INTO blocks (blocker_uid, blocked_uid) VALUES (?, ?)', [uid, other]);
        await revokeDirectPosting(conn, uid, other);
        const [res] = await conn.query<ResultSetHeader>(
          'DELETE FROM friendships WHERE (user_id = ? AND friend_id = ?) OR (user_id = ? AND friend_id = ?)',
          [uid, other, other, uid],
        );
        await conn.query(
          `UPDATE friend_requests SET status = 'declined'
            WHERE ((from_uid = ? AND to_uid = ?) OR (from_uid = ? AND to_uid = ?)) AND status = 'pending'`,
          [uid, other, other, uid],
        );
        return { unfriended: res.affectedRows > 0 };
      },
      { logger: this.logger, label: 'block' },
    );
  }

  /** Lifts uid's block of other; harmless when there is none. Friendship does not come back. */
  async unblock(uid: number, other: number): Promise<void> {
    await this.pool.query('DELETE FROM blocks WHERE blocker_uid = ? AND blocked_uid = ?', [uid, other]);
  }

  /** The users uid blocked, most recent first, at most MAX_LISTED_BLOCKS. */
  async list(uid: number): Promise<BlockedUser[]> {
    const [rows] = await this.pool.query<BlockedRow[]>(
      `SELECT u.id, u.name, u.nickname, u.avatar, b.created_at
         FROM blocks b JOIN users u ON u.id = b.blocked_uid
        WHERE b.blocker_uid = ?
        ORDER BY b.created_at DESC, u.id
        LIMIT ?`,
      [uid, MAX_LISTED_BLOCKS],
    );
    return rows.map((r) => ({ user: { uid: Number(r.id), name: r.name, nickname: r.nickname, avatar: r.avatar }, blockedAt: r.created_at.getTime() }));
  }
}
