import { ParleyError, type Logger } from '@parley/common';
import type { UploadChunkHeader, UploadInitReq, UploadInitResp, UploadStatusResp } from '@parley/protocol';
import type { FileConnection } from '../session/file-connection';
import type { BlobStore } from '../storage/blob-store';
import type { FileStore } from '../storage/file-store';
import { checkFreeSpace, decideInit, type UploadLimits } from './upload-init';
import { UploadSession } from './upload-session';

export interface UploadServiceOptions {
  store: FileStore;
  blobs: BlobStore;
  limits: UploadLimits;
  chunkBytes: number;
  checkpointBytes: number;
  logger: Logger;
}

/**
 * Uploads of this process: UploadInitReq (decide, then attach), UploadChunk (to the attached
 * session) and UploadStatusReq. A fileId has at most one session here: a new init of it detaches
 * the old one first (which makes its writes durable and tells its connection UPLOAD_SUPERSEDED),
 * one attach at a time per fileId.
 */
export class UploadService {
  private readonly sessions = new Map<number, UploadSession>();
  private readonly attaching = new Map<number, Promise<unknown>>();

  constructor(private readonly options: UploadServiceOptions) {}

  get activeUploads(): number {
    return this.sessions.size;
  }

  async init(conn: FileConnection, req: UploadInitReq): Promise<Omit<UploadInitResp, 'reqId'>> {
    const decision = await decideInit(this.options, conn.uid, req);
    const { chunkBytes } = this.options;
    if (decision.kind === 'complete') {
      conn.logger.info({ fileId: decision.fileId, size: req.size, event: 'upload_deduplicated' }, 'content already stored');
      return { fileId: decision.fileId, offset: req.size, size: req.size, complete: true, chunkBytes };
    }
    const offset = await this.attach(conn, decision.fileId, req);
    if (offset === undefined) return { fileId: decision.fileId, offset: req.size, size: req.size, complete: true, chunkBytes };
    conn.logger.info({ fileId: decision.fileId, offset, size: req.size, event: decision.kind === 'new' ? 'upload_started' : 'upload_resumed' }, 'upload attached');
    return { fileId: decision.fileId, offset, size: req.size, complete: false, chunkBytes };
  }

  /** An UploadChunk, its data in the pieces it arrived in; throws the ParleyError to answer it with. */
  chunk(conn: FileConnection, header: UploadChunkHeader, parts: Buffer[]): void {
    const session = this.sessions.get(header.fileId);
    if (!session || session.conn !== conn) {
      throw new ParleyError('FILE_NOT_FOUND', 'Initialise this upload on this connection first', { details: { fileId: header.fileId } });
    }
    session.accept(header.offset, parts);
  }

  /** The durable state of one of the user's uploads. */
  async status(conn: FileConnection, fileId: number): Promise<Omit<UploadStatusResp, 'reqId'>> {
    const file = await this.options.store.findOwn(conn.uid, fileId);
    if (!file) throw new ParleyError('FILE_NOT_FOUND', undefined, { details: { fileId } });
    if (file.state === 'failed') throw new ParleyError('SHA256_MISMATCH', 'This upload did not match its sha256; upload the file again', { details: { fileId } });
    const complete = file.state === 'complete';
    return { fileId, offset: complete ? file.size : file.storedBytes, size: file.size, complete };
  }

  /** The connection closed: its uploads become durable where they stand. */
  detachAll(conn: FileConnection): Promise<void> {
    const mine = [...this.sessions.values()].filter((s) => s.conn === conn);
    return Promise.all(mine.map((s) => s.detach('closed'))).then(() => undefined);
  }

  /** Shutdown: every upload becomes durable where it stands. */
  async close(): Promise<void> {
    await Promise.all([...this.sessions.values()].map((s) => s.detach('shutdown')));
  }

  /** Attaches fileId to conn; resolves the offset to go on from, or undefined when it is complete by now. */
  private attach(conn: FileConnection, fileId: number, req: UploadInitReq): Promise<number | undefined> {
    const previous = this.attaching.get(fileId) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(() => this.attachNow(conn, fileId, req));
    this.attaching.set(fileId, next);
    void next.finally(() => {
      if (this.attaching.get(fileId) === next) this.attaching.delete(fileId);
    }).catch(() => undefined);
    return next;
  }

  private async attachNow(conn: FileConnection, fileId: number, req: UploadInitReq): Promise<number | undefined> {
    const { store, blobs, limits } = this.options;
    const existing = this.sessions.get(fileId);
    if (existing) await existing.detach(existing.conn === conn ? 'closed' : 'superseded');
    // Read after the detach: its final checkpoint may have moved the durable offset.
    const file = await store.findOwn(conn.uid, fileId);
    if (!file || file.state === 'failed') throw new ParleyError('UNAVAILABLE', 'The upload changed meanwhile; send UploadInitReq again');
    if (file.state === 'complete') return undefined;
    await store.touch(fileId);
    // Only bytes both recorded durable and present count (a lost temp file starts over).
    const offset = Math.min(file.storedBytes, await blobs.tempSize(fileId));
    await checkFreeSpace(blobs, req.size - offset, limits.minFreeBytes);
    if (!conn.open) throw new ParleyError('UNAVAILABLE', 'The connection closed');
    const handle = await blobs.openTemp(fileId);
    const session = new UploadSession(conn, { fileId, size: req.size, sha256: req.sha256 }, handle, offset, this.options, (s) => {
      if (this.sessions.get(fileId) === s) this.sessions.delete(fileId);
    });
    this.sessions.set(fileId, session);
    // The connection may have closed while the file was opening: its close found nothing to detach.
    if (!conn.open) void session.detach('closed');
    return offset;
  }
}
