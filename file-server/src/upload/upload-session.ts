import { createHash, type Hash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { ParleyError, type Logger } from '@parley/common';
import { MAX_WRITE_BATCH, MsgId, writevFully } from '@parley/protocol';
import type { FileConnection } from '../session/file-connection';
import { isDiskFull, type BlobStore } from '../storage/blob-store';
import { hashFileRange } from '../storage/file-hash';
import type { FileStore } from '../storage/file-store';

export interface UploadSessionDeps {
  store: FileStore;
  blobs: BlobStore;
  chunkBytes: number;
  checkpointBytes: number;
  logger: Logger;
}

export interface UploadTarget {
  fileId: number;
  size: number;
  sha256: string;
}

/** Chunk bytes queued for writing beyond which the connection stops being read. */
const MAX_QUEUED_BYTES = 2 * 1024 * 1024;
/** A slow upload still becomes durable this often, however few bytes it moved. */
const CHECKPOINT_INTERVAL_MS = 2000;

type SessionState = 'open' | 'finishing' | 'ended';

/**
 * One upload attached to one connection (the only writer of its temp file in this process).
 *
 * Chunks are accepted strictly in order (the next one must start where the last ended), hashed
 * as they are accepted, and written at their offset by one write loop: the chunks that queued up
 * meanwhile go out in one writev, acked together with the next offset expected. The data is made durable — fdatasync, then `files.stored_bytes` — every
 * `checkpointBytes` or 2 s, whichever comes first (in the background, while writing goes on),
 * and when the session ends, so after a crash the upload resumes from the last checkpoint.
 *
 * The hash: a session that started at offset 0 has seen every byte in order and holds the hash;
 * one that resumed later re-reads the temp file at the end (a Node hash cannot be saved across a
 * restart). At the last byte: fdatasync, compare with the declared sha256, then the blob store
 * links the file into place and the row becomes complete (UploadDone); a mismatch discards the
 * upload (SHA256_MISMATCH).
 */
export class UploadSession {
  private state: SessionState = 'open';
  private expected: number;
  private written: number;
  private durable: number;
  private durableAt = Date.now();
  private readonly hash: Hash | undefined;
  /** Accepted chunks not yet written, in offset order: each one's data in the pieces it arrived in. */
  private pending: { offset: number; parts: Buffer[]; length: number }[] = [];
  /** The write loop, while it runs (one at a time). */
  private writer: Promise<void> | undefined;
  private queuedBytes = 0;
  private held = false;
  private checkpoint: Promise<void> | undefined;
  private writeFailed = false;
  private ending: Promise<void> | undefined;
  private readonly logger: Logger;

  constructor(
    readonly conn: FileConnection,
    readonly file: UploadTarget,
    private readonly handle: FileHandle,
    offset: number,
    private readonly deps: UploadSessionDeps,
    private readonly onEnd: (session: UploadSession) => void,
  ) {
    this.expected = offset;
    this.written = offset;
    this.durable = offset;
    this.hash = offset === 0 ? createHash('sha256') : undefined;
    this.logger = conn.logger.child({ fileId: file.fileId });
    // Everything was durable already (the previous writer ended between the last byte and completion).
    if (offset === file.size) this.run(() => this.finish());
  }

  get ended(): boolean {
    return this.state === 'ended';
  }

  /** Takes the next chunk; throws the ParleyError to answer it with (nothing changes then). */
  accept(offset: number, parts: Buffer[]): void {
    const { fileId, size } = this.file;
    if (this.state !== 'open') throw new ParleyError('FILE_NOT_FOUND', 'This upload is not open on this connection', { details: { fileId } });
    const length = parts.reduce((n, p) => n + p.length, 0);
    if (length === 0) throw new ParleyError('VALIDATION_FAILED', 'A chunk must carry data', { details: { fileId } });
    if (offset !== this.expected) throw new ParleyError('WRONG_OFFSET', `Expected a chunk at offset ${this.expected}`, { details: { fileId, expected: this.expected } });
    const max = Math.min(this.deps.chunkBytes, size - offset);
    if (length > max) throw new ParleyError('CHUNK_TOO_LARGE', `At most ${max} bytes fit here`, { details: { fileId, maxChunkBytes: max } });
    this.expected += length;
    for (const p of parts) this.hash?.update(p);
    this.queuedBytes += length;
    if (!this.held && this.queuedBytes > MAX_QUEUED_BYTES) {
      this.held = true;
      this.conn.hold();
    }
    this.pending.push({ offset, parts, length });
    if (!this.writer) this.run(() => this.writeQueued());
  }

  /**
   * Ends the session without completing it (connection closed, superseded, shutdown): no more
   * chunks, the queued writes finish, and what was written is made durable.
   */
  async detach(reason: 'closed' | 'superseded' | 'shutdown'): Promise<void> {
    if (this.state === 'open') this.state = 'finishing';
    while (this.writer) await this.writer;
    await this.end(async () => {
      await this.makeDurable();
      if (reason === 'superseded') this.conn.sendError({ code: 'UPLOAD_SUPERSEDED', message: 'This upload continues on another connection', details: { fileId: this.file.fileId } });
    });
  }

  private run(step: () => Promise<void>): void {
    const writer = step()
      .catch((err: unknown) => this.logger.error({ err }, 'upload step failed'))
      .finally(() => {
        if (this.writer !== writer) return;
        this.writer = undefined;
        if (this.pending.length > 0 && this.state === 'open') this.run(() => this.writeQueued());
      });
    this.writer = writer;
  }

  /** Writes what queued up, a batch (one writev) at a time, until nothing is left. */
  private async writeQueued(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending.splice(0, MAX_WRITE_BATCH);
      if (!(await this.write(batch))) break;
    }
    this.pending = [];
  }

  /** One batch of consecutive chunks; false once the upload cannot go on. */
  private async write(batch: { offset: number; parts: Buffer[]; length: number }[]): Promise<boolean> {
    const offset = (batch[0] as { offset: number }).offset;
    const buffers = batch.flatMap((c) => c.parts);
    const bytes = batch.reduce((n, c) => n + c.length, 0);
    try {
      if (this.writeFailed || this.state === 'ended') return false;
      await writevFully(this.handle, buffers, offset);
    } catch (err) {
      this.writeFailed = true;
      await this.abandon(err);
      return false;
    } finally {
      // The kernel has the bytes (or the write failed): pooled bodies can take the next chunks.
      for (const part of buffers) this.conn.recycle(part);
      this.queuedBytes -= bytes;
      if (this.held && this.queuedBytes <= MAX_QUEUED_BYTES / 2) {
        this.held = false;
        this.conn.release();
      }
    }
    this.written = offset + bytes;
    // One ack for the batch: acks are cumulative (the next offset expected).
    this.conn.send(MsgId.UploadChunkAck, { fileId: this.file.fileId, offset: this.written });
    if (this.written === this.file.size) await this.finish();
    else if (this.written - this.durable >= this.deps.checkpointBytes || Date.now() - this.durableAt >= CHECKPOINT_INTERVAL_MS) this.startCheckpoint();
    return true;
  }

  private startCheckpoint(): void {
    if (this.checkpoint) return;
    this.checkpoint = this.makeDurable()
      .catch((err: unknown) => this.logger.warn({ err }, 'checkpoint failed'))
      .finally(() => {
        this.checkpoint = undefined;
      });
  }

  /** fdatasync covers every write completed before it, so `written` as read here is durable after it. */
  private async makeDurable(): Promise<void> {
    const at = this.written;
    if (at <= this.durable) return;
    this.durableAt = Date.now();
    await this.handle.datasync();
    await this.deps.store.setStoredBytes(this.file.fileId, at);
    this.durable = Math.max(this.durable, at);
  }

  private async finish(): Promise<void> {
    this.state = 'finishing';
    const { fileId, size, sha256 } = this.file;
    await this.end(async () => {
      await this.handle.datasync();
      const digest = this.hash ? this.hash.digest('hex') : await hashFileRange(this.handle, size);
      if (digest !== sha256) {
        this.logger.info({ event: 'sha256_mismatch' }, 'upload does not match its sha256; discarded');
        await this.deps.store.markFailed(fileId);
        await this.deps.blobs.removeTemp(fileId);
        this.conn.sendError({ code: 'SHA256_MISMATCH', message: 'The uploaded bytes do not match the sha256; upload the file again', details: { fileId } });
        return;
      }
      await this.deps.blobs.commit(fileId, sha256);
      await this.deps.store.markComplete(fileId);
      this.logger.info({ event: 'upload_complete', size }, 'upload complete');
      this.conn.send(MsgId.UploadDone, { fileId, size, sha256 });
    });
  }

  /** A write failed: tell the client, keep what is durable (it may resume later). */
  private async abandon(err: unknown): Promise<void> {
    const full = isDiskFull(err);
    if (full) this.logger.warn({ err }, 'storage full; upload stopped');
    else this.logger.error({ err }, 'upload write failed');
    await this.end(async () => {
      await this.makeDurable().catch(() => undefined);
      this.conn.sendError(
        full
          ? { code: 'INSUFFICIENT_STORAGE', message: 'The server is short of storage; retry later', details: { fileId: this.file.fileId } }
          : { code: 'INTERNAL', message: 'The upload could not be written; resume it later', details: { fileId: this.file.fileId } },
      );
    });
  }

  /** Runs the last step, then always closes the file and leaves the registry; once, whoever asks. */
  private end(last: () => Promise<void>): Promise<void> {
    this.ending ??= this.endOnce(last);
    return this.ending;
  }

  private async endOnce(last: () => Promise<void>): Promise<void> {
    this.state = 'finishing';
    try {
      await this.checkpoint;
      await last();
    } catch (err) {
      this.logger.error({ err }, 'upload could not be finished');
      const body = isDiskFull(err)
        ? { code: 'INSUFFICIENT_STORAGE' as const, message: 'The server is short of storage; retry later', details: { fileId: this.file.fileId } }
        : { code: 'INTERNAL' as const, message: 'The upload could not be finished; resume it', details: { fileId: this.file.fileId } };
      this.conn.sendError(body);
    } finally {
      this.state = 'ended';
      if (this.held) {
        this.held = false;
        this.conn.release();
      }
      await this.handle.close().catch(() => undefined);
      this.onEnd(this);
    }
  }
}
