import { findReadableFile, ParleyError, type Logger, type MysqlPool } from '@parley/common';
import type { DownloadReq, DownloadResp } from '@parley/protocol';
import type { FileConnection } from '../session/file-connection';
import { isNotFound, type BlobStore } from '../storage/blob-store';
import { DownloadStream } from './download-stream';

/** Downloads one connection may run at once. */
export const MAX_DOWNLOADS_PER_CONNECTION = 4;

export interface DownloadServiceOptions {
  pool: MysqlPool;
  blobs: BlobStore;
  chunkBytes: number;
  logger: Logger;
}

export interface StartedDownload {
  resp: Omit<DownloadResp, 'reqId'>;
  stream: DownloadStream;
}

/**
 * DownloadReq: who may read the file (findReadableFile: owner, public, or a reader of a message
 * carrying it; everyone else FILE_NOT_FOUND, as for no file at all), then a DownloadStream. A new
 * request for a file this connection is already downloading replaces that download.
 */
export class DownloadService {
  private readonly active = new Map<FileConnection, Map<number, DownloadStream>>();

  constructor(private readonly options: DownloadServiceOptions) {}

  get activeDownloads(): number {
    let n = 0;
    for (const streams of this.active.values()) n += streams.size;
    return n;
  }

  /** Checks and opens; the caller sends `resp`, then runs `stream`. */
  async start(conn: FileConnection, req: DownloadReq): Promise<StartedDownload> {
    const { fileId, offset } = req;
    const file = await findReadableFile(this.options.pool, conn.uid, fileId);
    if (!file) throw new ParleyError('FILE_NOT_FOUND', undefined, { details: { fileId } });
    if (file.state !== 'complete') throw new ParleyError('FILE_INCOMPLETE', undefined, { details: { fileId } });
    if (offset > file.size) throw new ParleyError('VALIDATION_FAILED', `offset is past the end of the file (${file.size} bytes)`, { details: { fileId, size: file.size } });
    const streams = this.active.get(conn) ?? new Map<number, DownloadStream>();
    streams.get(fileId)?.cancel();
    streams.delete(fileId);
    if (streams.size >= MAX_DOWNLOADS_PER_CONNECTION) {
      throw new ParleyError('RATE_LIMITED', `At most ${MAX_DOWNLOADS_PER_CONNECTION} downloads at once per connection`, { details: { fileId } });
    }
    let handle;
    try {
      handle = await this.options.blobs.openBlob(file.sha256);
    } catch (err) {
      if (isNotFound(err)) conn.logger.error({ fileId, sha256: file.sha256 }, 'a complete file has no stored blob');
      throw err;
    }
    const stream = new DownloadStream(conn, { fileId, size: file.size }, handle, offset, this.options.chunkBytes, (s) => {
      const mine = this.active.get(conn);
      if (mine?.get(fileId) === s) mine.delete(fileId);
      if (mine?.size === 0) this.active.delete(conn);
    });
    streams.set(fileId, stream);
    this.active.set(conn, streams);
    return { resp: { fileId, name: file.name, mime: file.mime, size: file.size, sha256: file.sha256, offset }, stream };
  }

  cancel(conn: FileConnection, fileId: number): void {
    this.active.get(conn)?.get(fileId)?.cancel();
  }

  cancelAll(conn: FileConnection): void {
    for (const stream of this.active.get(conn)?.values() ?? []) stream.cancel();
  }
}
