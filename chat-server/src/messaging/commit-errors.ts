/** How the committer classifies MySQL/MariaDB errors: retry, split the batch, or take the careful path. */

export const ER_DUP_ENTRY = 1062;
const ER_LOCK_WAIT_TIMEOUT = 1205;
const ER_LOCK_DEADLOCK = 1213;
const ER_BAD_NULL_ERROR = 1048;
const ER_NO_REFERENCED_ROW_2 = 1452;

export function sqlErrno(err: unknown): number | undefined {
  const errno = (err as { errno?: unknown } | null)?.errno;
  return typeof errno === 'number' ? errno : undefined;
}

/**
 * What makes a write refuse its batch as a whole because the world changed since it was
 * authorized: a resend of a stored message (duplicate key), or a friendship or membership that is
 * gone (the INSERT's checks yield a NULL conversation). The batch is then read again and sorted out
 * per message.
 */
export function isStaleAuthorization(err: unknown): boolean {
  const errno = sqlErrno(err);
  return errno === ER_DUP_ENTRY || errno === ER_BAD_NULL_ERROR || errno === ER_NO_REFERENCED_ROW_2;
}

/** SQL errors a retry can cure: lock contention, and a concurrent insert of the same clientMsgId. */
export function isRetryable(err: unknown): boolean {
  const errno = sqlErrno(err);
  // No SQL errno (or a client-side one) means the connection failed; the retry finds out what committed.
  if (errno === undefined || errno < 1000 || errno >= 4000) return true;
  return errno === ER_DUP_ENTRY || errno === ER_LOCK_WAIT_TIMEOUT || errno === ER_LOCK_DEADLOCK || errno === ER_BAD_NULL_ERROR;
}

/** Errors caused by the values of some row; splitting the batch isolates the culprit. */
const ROW_DATA_ERRNOS = new Set([
  1048, // ER_BAD_NULL_ERROR
  1264, // ER_WARN_DATA_OUT_OF_RANGE
  1265, // WARN_DATA_TRUNCATED
  1366, // ER_TRUNCATED_WRONG_VALUE_FOR_FIELD
  1406, // ER_DATA_TOO_LONG
  1452, // ER_NO_REFERENCED_ROW_2
  1644, // ER_SIGNAL_EXCEPTION (a trigger refused a row)
]);

export function isRowDataError(err: unknown): boolean {
  const errno = sqlErrno(err);
  return errno !== undefined && ROW_DATA_ERRNOS.has(errno);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
