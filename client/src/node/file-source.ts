import { open } from 'node:fs/promises';
import { basename } from 'node:path';
import type { UploadSource } from '../client-api';

/** An UploadSource over a local file (read at offsets; the handle closes with `close()`). */
export async function fileSource(path: string, mime = 'application/octet-stream'): Promise<UploadSource & { close(): Promise<void> }> {
  const handle = await open(path, 'r');
  const { size } = await handle.stat();
  return {
    name: basename(path),
    mime,
    size,
    read: async (offset, length) => {
      const buffer = Buffer.alloc(length);
      let filled = 0;
      while (filled < length) {
        const { bytesRead } = await handle.read(buffer, filled, length - filled, offset + filled);
        if (bytesRead === 0) break;
        filled += bytesRead;
      }
      return buffer.subarray(0, filled);
    },
    close: () => handle.close(),
  };
}
