/** The shared transaction helper (common/src/mysql/transaction.ts), used by friends and groups. */
export { ER_LOCK_DEADLOCK, withTransaction, type TransactionOptions } from '@parley/common';
