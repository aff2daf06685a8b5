import type { RowDataPacket } from 'mysql2';
import type { MysqlPool } from '../mysql/mysql-pool';
import { FILE_COLUMNS, fileRecord, type FileRecord } from './file-record';

/** A pool or one of its connections. */
export type FileQueryable = Pick<MysqlPool, 'query'>;

/*
 * Who may read a file — one rule for the file server (downloads) and the chat servers (a file
 * message may only carry a file its sender may read; avatars). Readable are:
 * - the owner's own files, in any state (the caller tells an unfinished one apart);
 * - complete public files (avatars);
 * - complete files carried by a message (message_files) that the user may read: a member of its
 *   conversation whose membership covers the message's seq (seq > joined_seq and, after leaving,
 *   seq ≤ left_seq), the read rule of sync and pull (docs/protocol.md, "Groups").
 * Anything else is "not found", exactly like a file that does not exist.
 */
const READABLE_SQL = `SELECT ${FILE_COLUMNS} FROM files f
  WHERE f.id = ? AND f.state <> 'failed' AND (
    f.owner_uid = ?
    OR (f.state = 'complete' AND (
      f.is_public = 1
      OR EXISTS (SELECT 1 FROM message_files mf
                   JOIN conversation_members cm ON cm.conversation_id = mf.conversation_id AND cm.user_id = ?
                  WHERE mf.file_id = f.id AND mf.seq > cm.joined_seq AND (cm.left_seq IS NULL OR mf.seq <= cm.left_seq)))))`;

/** The file if `uid` may read it (see above), else undefined — whether it exists or not. */
export async function findReadableFile(db: FileQueryable, uid: number, fileId: number): Promise<FileRecord | undefined> {
  const [rows] = await db.query<RowDataPacket[]>(READABLE_SQL, [fileId, uid, uid]);
  const row = rows[0];
  return row === undefined ? undefined : fileRecord(row);
}
