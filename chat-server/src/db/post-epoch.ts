import type { PoolConnection } from 'mysql2/promise';

/**
 * `conversations.post_epoch` is how the message writer knows that what authorized a send still
 * holds: the authorizer reads the epoch together with the friendship or membership it checked,
 * and the writer stores the send only if the epoch is unchanged under the conversation's row
 * lock. So every change that takes a right to post away must raise the epoch in its own
 * transaction — these two functions are the only way it is raised. Granting a right (befriending,
 * joining) needs no raise: a send refused before it is simply read again.
 */

/** Before a pair's friendship rows are deleted (unfriend, block): the conversation they name. */
export async function revokeDirectPosting(conn: PoolConnection, a: number, b: number): Promise<void> {
  await conn.query(
    'UPDATE conversations SET post_epoch = post_epoch + 1 WHERE id IN (SELECT conversation_id FROM friendships WHERE (user_id = ? AND friend_id = ?) OR (user_id = ? AND friend_id = ?))',
    [a, b, b, a],
  );
}

/** When members leave or are removed from a group conversation. */
export async function revokeGroupPosting(conn: PoolConnection, conversationId: number): Promise<void> {
  await conn.query('UPDATE conversations SET post_epoch = post_epoch + 1 WHERE id = ?', [conversationId]);
}
