import type { RowDataPacket } from 'mysql2';

/** One `files` row (docs/schema.md), as the file server and the chat servers read it. */
export interface FileRecord {
  id: number;
  ownerUid: number;
  /** The conversation the upload was for, if the uploader named one. */
  conversationId: number | null;
  name: string;
  mime: string;
  size: number;
  sha256: string;
  /** How far the upload is durable (fsynced); `size` once complete. */
  storedBytes: number;
  state: 'uploading' | 'complete' | 'failed';
  /** Anyone may download it (an avatar). */
  isPublic: boolean;
}

/** The columns `fileRecord` reads, for `SELECT ${FILE_COLUMNS} FROM files f …`. */
export const FILE_COLUMNS = 'f.id, f.owner_uid, f.conversation_id, f.name, f.mime, f.size, f.sha256, f.stored_bytes, f.state, f.is_public';

export function fileRecord(row: RowDataPacket): FileRecord {
  return {
    id: Number(row.id),
    ownerUid: Number(row.owner_uid),
    conversationId: row.conversation_id === null ? null : Number(row.conversation_id),
    name: String(row.name),
    mime: String(row.mime),
    size: Number(row.size),
    sha256: String(row.sha256),
    storedBytes: Number(row.stored_bytes),
    state: row.state as FileRecord['state'],
    isPublic: Number(row.is_public) === 1,
  };
}
