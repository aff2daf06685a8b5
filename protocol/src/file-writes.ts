import type { FileHandle } from 'node:fs/promises';
import { dropBytes } from './buffer-list';

/** Most chunks gathered into one write (well under IOV_MAX). */
export const MAX_WRITE_BATCH = 16;

/**
 * Writes consecutive buffers at `position` with as few writev(2) calls as the kernel allows:
 * chunks that queued up while the previous write ran go to disk in one thread-pool round trip,
 * instead of one each (what keeps a transfer's writes cheap on a busy core).
 */
export async function writevFully(handle: FileHandle, buffers: readonly Buffer[], position: number): Promise<void> {
  let rest = buffers.filter((b) => b.length > 0);
  let at = position;
  while (rest.length > 0) {
    const { bytesWritten } = await handle.writev(rest, at);
    at += bytesWritten;
    rest = dropBytes(rest, bytesWritten);
  }
}
