import type { PoolConnection } from 'mysql2/promise';
import type { Logger } from '../logger';
import type { MysqlPool } from './mysql-pool';

/** MariaDB/MySQL "Deadlock found when trying to get lock; try restarting transaction". */
export const ER_LOCK_DEADLOCK = 1213;

export interface TransactionOptions {
  /** Attempts in total, the first included. */
  attempts?: number;
  logger?: Logger;
  /** What the transaction does, for the log line when it is retried. */
  label?: string;
}

const DEFAULT_ATTEMPTS = 5;

function isDeadlock(err: unknown): boolean {
  return (err as { errno?: unknown } | null)?.errno === ER_LOCK_DEADLOCK;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Runs `fn` in a READ COMMITTED transaction on one pooled connection and commits it; rolls back
 * on any error. A deadlock (errno 1213, InnoDB already rolled the transaction back) is retried
 * after a short random pause, so it never reaches the user unless it keeps happening.
 * READ COMMITTED because every decision is taken under row locks and must see what the previous
 * lock holder committed, not a snapshot from before it; it also takes fewer gap locks.
 */
export async function withTransaction<T>(pool: MysqlPool, fn: (conn: PoolConnection) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
  const attempts = options.attempts ?? DEFAULT_ATTEMPTS;
  for (let attempt = 1; ; attempt++) {
    const conn = await pool.getConnection();
    try {
      await conn.query('SET TRANSACTION ISOLATION LEVEL READ COMMITTED');
      await conn.beginTransaction();
      const result = await fn(conn);
      await conn.commit();
      return result;
    } catch (err) {
      await conn.rollback().catch(() => undefined);
      if (!isDeadlock(err) || attempt >= attempts) throw err;
      options.logger?.debug({ event: 'tx_deadlock_retry', op: options.label, attempt }, 'deadlock, retrying transaction');
      await sleep(2 + Math.random() * 10 * attempt);
    } finally {
      conn.release();
    }
  }
}
