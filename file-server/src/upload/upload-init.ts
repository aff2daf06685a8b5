import { ParleyError } from '@parley/common';
import type { UploadInitReq } from '@parley/protocol';
import { EMPTY_SHA256, type BlobStore } from '../storage/blob-store';
import type { FileStore } from '../storage/file-store';

export interface UploadLimits {
  /** file.max_file_bytes */
  maxFileBytes: number;
  /** file.user_quota_bytes */
  userQuotaBytes: number;
  /** file.min_free_bytes */
  minFreeBytes: number;
}

export interface InitDeps {
  store: FileStore;
  blobs: BlobStore;
  limits: UploadLimits;
}

/** What an UploadInitReq comes to: nothing to upload, an unfinished upload to go on with, or a new one. */
export type InitDecision = { kind: 'complete'; fileId: number } | { kind: 'resume'; fileId: number } | { kind: 'new'; fileId: number };

/**
 * Decides an init (docs/file-server.md, "Upload"), refusing what breaks a limit:
 * 1. content already stored (its blob exists: a blob only exists once verified) → this user's
 *    unfinished row of it becomes complete, or a new complete row; no bytes move;
 * 2. the user's unfinished upload of the same sha256 and size → resume it;
 * 3. otherwise a new upload.
 * The rows are decided in one transaction holding the user's row lock, so concurrent inits of one
 * user neither pass the quota together nor create two unfinished rows for the same content.
 */
export async function decideInit(deps: InitDeps, uid: number, req: UploadInitReq): Promise<InitDecision> {
  const { store, blobs, limits } = deps;
  if (req.size > limits.maxFileBytes) {
    throw new ParleyError('FILE_TOO_LARGE', `Files may have at most ${limits.maxFileBytes} bytes`, { details: { maxFileBytes: limits.maxFileBytes } });
  }
  if (req.size === 0) {
    if (req.sha256 !== EMPTY_SHA256) throw new ParleyError('SHA256_MISMATCH', 'An empty file has another sha256', { details: { expected: EMPTY_SHA256 } });
    await blobs.ensureEmptyBlob();
  }
  if (req.conversationId !== undefined && !(await store.isMember(uid, req.conversationId))) {
    throw new ParleyError('NOT_MEMBER', 'You are not a member of that conversation');
  }
  const stored = await blobs.hasBlob(req.sha256, req.size);
  const file = { ownerUid: uid, conversationId: req.conversationId ?? null, name: req.name, mime: req.mime, size: req.size, sha256: req.sha256 };

  return store.withUserLock(uid, async (conn) => {
    const unfinished = await store.findUnfinished(conn, uid, req.sha256, req.size);
    if (stored && unfinished) {
      await store.markComplete(unfinished.id, conn);
      return { kind: 'complete', fileId: unfinished.id };
    }
    if (unfinished) return { kind: 'resume', fileId: unfinished.id };
    const used = await store.usage(conn, uid);
    if (used + req.size > limits.userQuotaBytes) {
      throw new ParleyError('QUOTA_EXCEEDED', `Your files may take at most ${limits.userQuotaBytes} bytes`, { details: { quotaBytes: limits.userQuotaBytes, usedBytes: used } });
    }
    if (stored) return { kind: 'complete', fileId: await store.insert(conn, { ...file, state: 'complete' }) };
    await checkFreeSpace(blobs, req.size, limits.minFreeBytes);
    return { kind: 'new', fileId: await store.insert(conn, { ...file, state: 'uploading' }) };
  });
}

/** INSUFFICIENT_STORAGE unless `bytes` more leave at least `minFreeBytes` free on the volume. */
export async function checkFreeSpace(blobs: BlobStore, bytes: number, minFreeBytes: number): Promise<void> {
  const free = await blobs.freeBytes();
  if (free - bytes < minFreeBytes) {
    throw new ParleyError('INSUFFICIENT_STORAGE', 'The server is short of storage; retry later');
  }
}
