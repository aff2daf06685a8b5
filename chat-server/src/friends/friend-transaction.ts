import type { PoolConnection, RowDataPacket } from 'mysql2/promise';
import { ParleyError } from '@parley/common';

export interface LockedUserRow extends RowDataPacket {
  id: number;
  name: string;
  nickname: string;
  avatar: string;
}

/**
 * Locks both users' rows, always in ascending id order, and returns their public fields.
 * Every friend operation on a pair takes this lock first, so operations on the same pair run one
 * after the other and two of them can never wait on each other in opposite orders.
 * Throws NOT_FOUND when either user does not exist.
 */
export async function lockUserPair(conn: PoolConnection, a: number, b: number): Promise<Map<number, LockedUserRow>> {
  const [lo, hi] = a < b ? [a, b] : [b, a];
  const [rows] = await conn.query<LockedUserRow[]>(
    'SELECT id, name, nickname, avatar FROM users WHERE id IN (?, ?) ORDER BY id FOR UPDATE',
    [lo, hi],
  );
  const byId = new Map(rows.map((r) => [Number(r.id), r]));
  if (!byId.has(a) || !byId.has(b)) throw new ParleyError('NOT_FOUND', 'No such user');
  return byId;
}
