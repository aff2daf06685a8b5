import type { FileHandle } from 'node:fs/promises';
import type { Logger } from '@parley/common';
import { chunkFrameHead, MsgId } from '@parley/protocol';
import type { FileConnection } from '../session/file-connection';

/** Socket output beyond which a download waits for 'drain' before reading on. */
const HIGH_WATER_BYTES = 1024 * 1024;

export interface DownloadSource {
  fileId: number;
  size: number;
}

/**
 * One download: DownloadChunk frames from `offset` to the end, in order. The next chunk is read
 * from disk while the current one is written, and nothing more is read while the socket holds
 * more than HIGH_WATER_BYTES: memory stays at two chunks plus that, whatever the file's size and
 * however slowly the client reads.
 */
export class DownloadStream {
  private cancelled = false;
  private readonly logger: Logger;

  constructor(
    private readonly conn: FileConnection,
    readonly file: DownloadSource,
    private readonly handle: FileHandle,
    private readonly offset: number,
    private readonly chunkBytes: number,
    private readonly onEnd: (stream: DownloadStream) => void,
  ) {
    this.logger = conn.logger.child({ fileId: file.fileId });
  }

  cancel(): void {
    this.cancelled = true;
  }

  /** Streams to the end (or until cancelled or the connection goes); never throws. */
  async run(): Promise<void> {
    const { fileId, size } = this.file;
    let offset = this.offset;
    let next: Promise<Buffer> | undefined = offset < size ? this.read(offset) : undefined;
    try {
      while (next && !this.cancelled && this.conn.open) {
        const data = await next;
        const end = offset + data.length;
        next = end < size ? this.read(end) : undefined;
        const head = chunkFrameHead(MsgId.DownloadChunk, { fileId, offset }, data.length);
        if (!this.conn.writeChunk(head, data, HIGH_WATER_BYTES)) await this.conn.waitWritable();
        offset = end;
      }
      if (offset === size) this.logger.debug({ event: 'download_complete', from: this.offset, size }, 'download complete');
    } catch (err) {
      this.logger.error({ err, offset }, 'download failed');
      this.conn.sendError({ code: 'INTERNAL', message: 'The download failed; resume it', details: { fileId } });
    } finally {
      await next?.catch(() => undefined);
      await this.handle.close().catch(() => undefined);
      this.onEnd(this);
    }
  }

  private async read(position: number): Promise<Buffer> {
    const buffer = Buffer.allocUnsafe(Math.min(this.chunkBytes, this.file.size - position));
    let filled = 0;
    while (filled < buffer.length) {
      const { bytesRead } = await this.handle.read(buffer, filled, buffer.length - filled, position + filled);
      if (bytesRead === 0) throw new Error(`stored file ended at ${position + filled} of ${this.file.size} bytes`);
      filled += bytesRead;
    }
    return buffer;
  }
}
