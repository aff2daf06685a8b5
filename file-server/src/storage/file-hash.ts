import { createHash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';

const READ_BYTES = 1024 * 1024;

/** sha256 (hex) of the first `size` bytes of an open file, read with positioned reads. */
export async function hashFileRange(handle: FileHandle, size: number): Promise<string> {
  const hash = createHash('sha256');
  const buffer = Buffer.allocUnsafe(Math.min(READ_BYTES, Math.max(size, 1)));
  let position = 0;
  while (position < size) {
    const { bytesRead } = await handle.read(buffer, 0, Math.min(buffer.length, size - position), position);
    if (bytesRead === 0) throw new Error(`file ended at ${position} of ${size} bytes`);
    hash.update(buffer.subarray(0, bytesRead));
    position += bytesRead;
  }
  return hash.digest('hex');
}
