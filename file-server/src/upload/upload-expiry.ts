import type { Logger } from '@parley/common';
import type { BlobStore } from '../storage/blob-store';
import type { FileStore } from '../storage/file-store';

export interface UploadExpiryOptions {
  store: FileStore;
  blobs: BlobStore;
  /** file.upload_expiry_hours */
  hours: number;
  logger: Logger;
  /** How often to look (default hourly). */
  intervalMs?: number;
}

/** Rows deleted per sweep at most, so one sweep stays short. */
const BATCH = 500;

/**
 * Deletes unfinished uploads nobody touched for `file.upload_expiry_hours` (no init, no
 * checkpoint): the row, so it no longer counts against the quota, and its temp file. An upload
 * in progress checkpoints every few seconds, so only abandoned ones qualify; a client that comes
 * back later simply starts over. Every file server may sweep: the DELETE re-checks staleness, so
 * two sweepers never both act on one upload, and only the one that deleted the row removes the file.
 */
export class UploadExpiry {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;

  constructor(private readonly options: UploadExpiryOptions) {}

  start(): void {
    void this.sweep();
    this.timer = setInterval(() => void this.sweep(), this.options.intervalMs ?? 3600_000);
    this.timer.unref();
  }

  /** One sweep; resolves how many uploads it deleted. Never throws. */
  sweep(): Promise<number> {
    this.running ??= this.sweepOnce()
      .catch((err: unknown) => {
        this.options.logger.warn({ err }, 'upload expiry sweep failed');
        return 0;
      })
      .finally(() => {
        this.running = undefined;
      });
    return this.running;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }

  private async sweepOnce(): Promise<number> {
    const { store, blobs, hours, logger } = this.options;
    let deleted = 0;
    for (const fileId of await store.staleUploads(hours, BATCH)) {
      if (!(await store.deleteStale(fileId, hours))) continue;
      await blobs.removeTemp(fileId);
      deleted++;
    }
    if (deleted > 0) logger.info({ deleted, hours, event: 'uploads_expired' }, 'abandoned uploads deleted');
    return deleted;
  }
}
