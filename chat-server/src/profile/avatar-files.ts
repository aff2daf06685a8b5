import type { RowDataPacket } from 'mysql2/promise';
import { ParleyError, type MysqlPool } from '@parley/common';
import { fileRef, isImageMime, parseFileRef } from '@parley/protocol';

/** An avatar value to store, and the uploaded image it names (to publish once the change is made). */
export interface AvatarChoice {
  value: string;
  fileId?: number;
}

/**
 * An uploaded image as an avatar (a user's or a group's) must be the caller's own complete
 * `image/*` file; resolves the `file:<fileId>` reference to store. Nothing changes yet: the file
 * is published (publishAvatar) once the change it is for has been made.
 */
export async function avatarFromFile(pool: MysqlPool, uid: number, fileId: number): Promise<AvatarChoice> {
  const [rows] = await pool.query<RowDataPacket[]>('SELECT state, mime FROM files WHERE id = ? AND owner_uid = ?', [fileId, uid]);
  const file = rows[0];
  if (!file || file.state === 'failed') throw new ParleyError('FILE_NOT_FOUND', 'An avatar must be an image you uploaded', { details: { fileId } });
  if (file.state !== 'complete') throw new ParleyError('FILE_INCOMPLETE', undefined, { details: { fileId } });
  if (!isImageMime(String(file.mime))) throw new ParleyError('VALIDATION_FAILED', 'An avatar must be an image/* file', { details: [{ path: 'avatar', message: `the file is ${String(file.mime)}` }] });
  return { value: fileRef(fileId), fileId };
}

/** A group avatar as given: `file:<fileId>` is checked like a user's avatar; any other string (a URL, '') is kept. */
export async function groupAvatar(pool: MysqlPool, uid: number, avatar: string): Promise<AvatarChoice> {
  const fileId = parseFileRef(avatar);
  if (fileId !== undefined) return avatarFromFile(pool, uid, fileId);
  if (avatar.startsWith('file:')) throw new ParleyError('VALIDATION_FAILED', 'A file avatar is file:<fileId>', { details: [{ path: 'avatar', message: 'malformed file reference' }] });
  return { value: avatar };
}

/** Makes an avatar's image public: anyone who sees the reference may download it. */
export async function publishAvatar(pool: MysqlPool, choice: AvatarChoice): Promise<void> {
  if (choice.fileId !== undefined) await pool.query('UPDATE files SET is_public = 1 WHERE id = ?', [choice.fileId]);
}
