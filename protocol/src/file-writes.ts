import type { FileHandle } from 'node:fs/promises';
import { dropBytes, takeBytes } from './buffer-list';

/** Most chunks gathered into one batch of writes (well under IOV_MAX). */
export const MAX_WRITE_BATCH = 16;

/**
 * Bytes one writev(2) call carries at most. The kernel (6.x, ext4 with large folios) sizes the
 * page-cache folios it allocates by the write's length, and large folios come from the high-order
 * free blocks that a VM with free-page reporting has handed back to its host: each page then
 * faults on the host as it is filled. Measured here (1 GiB into a file just freed, one core):
 * 256 KiB writes cost 0.35–0.42 s of CPU, 512 KiB writes 0.71–1.09 s, 4 MiB writevs 1.7–1.8 s;
 * below 256 KiB the syscalls start to show (128 KiB: 0.55 s).
 */
export const MAX_WRITE_BYTES = 256 * 1024;

/**
 * Writes consecutive buffers at `position`: chunks that queued up while the previous write ran go
 * to disk together, in writev(2) calls of at most MAX_WRITE_BYTES each, so a burst costs few
 * thread-pool round trips and no large folios.
 */
export async function writevFully(handle: FileHandle, buffers: readonly Buffer[], position: number): Promise<void> {
  let rest = buffers.filter((b) => b.length > 0);
  let at = position;
  while (rest.length > 0) {
    const { bytesWritten } = await handle.writev(takeBytes(rest, MAX_WRITE_BYTES), at);
    at += bytesWritten;
    rest = dropBytes(rest, bytesWritten);
  }
}
