import type { PoolConnection, ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import { FILE_COLUMNS, fileRecord, withTransaction, type FileRecord, type Logger, type MysqlPool } from '@parley/common';

export interface NewFile {
  ownerUid: number;
  conversationId: number | null;
  name: string;
  mime: string;
  size: number;
  sha256: string;
  state: 'uploading' | 'complete';
}

/**
 * The file server's SQL on `files` (docs/schema.md). Init decisions (resume, dedup, quota) run in
 * one transaction that first locks the user's row, so one user's concurrent inits are serialised
 * and cannot pass the quota together; uploads' progress and completion are single-row updates.
 */
export class FileStore {
  constructor(
    private readonly pool: MysqlPool,
    private readonly logger: Logger,
  ) {}

  /** Runs `fn` in a transaction holding the user's row lock. */
  withUserLock<T>(uid: number, fn: (conn: PoolConnection) => Promise<T>): Promise<T> {
    return withTransaction(
      this.pool,
      async (conn) => {
        await conn.query('SELECT id FROM users WHERE id = ? FOR UPDATE', [uid]);
        return fn(conn);
      },
      { logger: this.logger, label: 'upload init' },
    );
  }

  /** True when uid is a current member of the conversation. */
  async isMember(uid: number, conversationId: number): Promise<boolean> {
    const [rows] = await this.pool.query<RowDataPacket[]>('SELECT 1 FROM conversation_members WHERE conversation_id = ? AND user_id = ? AND left_seq IS NULL', [conversationId, uid]);
    return rows.length > 0;
  }

  /** The user's newest unfinished upload of this content, if any. */
  async findUnfinished(conn: PoolConnection, uid: number, sha256: string, size: number): Promise<FileRecord | undefined> {
    const [rows] = await conn.query<RowDataPacket[]>(
      `SELECT ${FILE_COLUMNS} FROM files f WHERE f.sha256 = ? AND f.size = ? AND f.owner_uid = ? AND f.state = 'uploading' ORDER BY f.id DESC LIMIT 1`,
      [sha256, size, uid],
    );
    return rows[0] === undefined ? undefined : fileRecord(rows[0]);
  }

  /** Bytes the user's complete and unfinished files take from the quota. */
  async usage(conn: PoolConnection, uid: number): Promise<number> {
    const [rows] = await conn.query<RowDataPacket[]>("SELECT COALESCE(SUM(size), 0) AS used FROM files WHERE owner_uid = ? AND state IN ('uploading', 'complete')", [uid]);
    return Number(rows[0]?.used ?? 0);
  }

  async insert(conn: PoolConnection, file: NewFile): Promise<number> {
    const stored = file.state === 'complete' ? file.size : 0;
    const [res] = await conn.query<ResultSetHeader>(
      'INSERT INTO files (owner_uid, conversation_id, name, mime, size, sha256, stored_bytes, state) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      [file.ownerUid, file.conversationId, file.name, file.mime, file.size, file.sha256, stored, file.state],
    );
    return res.insertId;
  }

  /** uploading → complete; false when the row was not uploading (already complete or failed). */
  async markComplete(fileId: number, conn: Pick<MysqlPool, 'query'> = this.pool): Promise<boolean> {
    const [res] = await conn.query<ResultSetHeader>("UPDATE files SET state = 'complete', stored_bytes = size WHERE id = ? AND state = 'uploading'", [fileId]);
    return res.affectedRows === 1;
  }

  /** uploading → failed (a sha256 mismatch): the upload is over, its bytes no longer count. */
  async markFailed(fileId: number): Promise<void> {
    await this.pool.query("UPDATE files SET state = 'failed', stored_bytes = 0 WHERE id = ? AND state = 'uploading'", [fileId]);
  }

  /**
   * Records a durable offset. Never lowers it: a session that resumed from an older checkpoint
   * rewrites the same bytes, and what a previous writer made durable stays durable.
   */
  async setStoredBytes(fileId: number, bytes: number): Promise<void> {
    await this.pool.query("UPDATE files SET stored_bytes = GREATEST(stored_bytes, ?) WHERE id = ? AND state = 'uploading'", [bytes, fileId]);
  }

  /** Marks an upload as in use (resumed), so the expiry sweep leaves it alone. */
  async touch(fileId: number): Promise<void> {
    await this.pool.query('UPDATE files SET updated_at = NOW(3) WHERE id = ?', [fileId]);
  }

  /** Unfinished uploads untouched (no checkpoint, no init) for `hours`, oldest first. */
  async staleUploads(hours: number, limit: number): Promise<number[]> {
    const [rows] = await this.pool.query<RowDataPacket[]>(
      "SELECT id FROM files WHERE state = 'uploading' AND updated_at < NOW(3) - INTERVAL ? HOUR ORDER BY updated_at LIMIT ?",
      [hours, limit],
    );
    return rows.map((r) => Number(r.id));
  }

  /** Deletes an unfinished upload if it is still stale; true when this call deleted it. */
  async deleteStale(fileId: number, hours: number): Promise<boolean> {
    const [res] = await this.pool.query<ResultSetHeader>("DELETE FROM files WHERE id = ? AND state = 'uploading' AND updated_at < NOW(3) - INTERVAL ? HOUR", [fileId, hours]);
    return res.affectedRows === 1;
  }

  /** A file of this owner, or undefined (someone else's looks the same as none). */
  async findOwn(uid: number, fileId: number): Promise<FileRecord | undefined> {
    const [rows] = await this.pool.query<RowDataPacket[]>(`SELECT ${FILE_COLUMNS} FROM files f WHERE f.id = ? AND f.owner_uid = ?`, [fileId, uid]);
    return rows[0] === undefined ? undefined : fileRecord(rows[0]);
  }
}
