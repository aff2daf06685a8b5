import { constants } from 'node:fs';
import { link, mkdir, open, stat, statfs, unlink, type FileHandle } from 'node:fs/promises';
import { join, resolve } from 'node:path';

/** The sha256 of no bytes at all: the one file that needs no upload. */
export const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/**
 * The storage directory (file.storage_dir), shared by every file server of the cluster:
 *
 *   <dir>/ab/cdef…        a stored file, named by its sha256 (first two hex digits, then the other 62)
 *   <dir>/tmp/<id>.part    an upload in progress, written in place at its offsets
 *
 * A blob only ever appears by link(2) of a fsynced, verified temp file, so a blob that exists is
 * complete and correct; two uploads of the same content end in one blob (the second link finds
 * it there and its temp file is dropped). Blobs are never written after that.
 */
export class BlobStore {
  readonly dir: string;
  readonly tmpDir: string;

  constructor(dir: string) {
    this.dir = resolve(dir);
    this.tmpDir = join(this.dir, 'tmp');
  }

  /** Creates the directories; fails early (at start-up) when the volume is not writable. */
  async prepare(): Promise<void> {
    await mkdir(this.tmpDir, { recursive: true });
  }

  blobPath(sha256: string): string {
    return join(this.dir, sha256.slice(0, 2), sha256.slice(2));
  }

  tempPath(fileId: number): string {
    return join(this.tmpDir, `${fileId}.part`);
  }

  /** True when the content is stored (with the expected size, as a guard against a stray file). */
  async hasBlob(sha256: string, size: number): Promise<boolean> {
    try {
      const s = await stat(this.blobPath(sha256));
      return s.isFile() && s.size === size;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  /** Bytes in an upload's temp file (0 when there is none). */
  async tempSize(fileId: number): Promise<number> {
    try {
      return (await stat(this.tempPath(fileId))).size;
    } catch (err) {
      if (isNotFound(err)) return 0;
      throw err;
    }
  }

  /** Opens (creating if needed) an upload's temp file for positioned reads and writes. */
  openTemp(fileId: number): Promise<FileHandle> {
    return open(this.tempPath(fileId), constants.O_RDWR | constants.O_CREAT, 0o640);
  }

  openBlob(sha256: string): Promise<FileHandle> {
    return open(this.blobPath(sha256), constants.O_RDONLY);
  }

  /**
   * Puts a verified, fsynced temp file in place under its sha256 and removes the temp name. The
   * same content already stored is fine (EEXIST): the temp file is simply dropped. The directory
   * is fsynced so the new name survives a crash.
   */
  commit(fileId: number, sha256: string): Promise<void> {
    return this.commitPath(this.tempPath(fileId), sha256);
  }

  /** Stores the empty file (size 0 needs no upload, but a blob to download). */
  async ensureEmptyBlob(): Promise<void> {
    if (await this.hasBlob(EMPTY_SHA256, 0)) return;
    const temp = join(this.tmpDir, `empty-${process.pid}.part`);
    const handle = await open(temp, 'w');
    await handle.datasync();
    await handle.close();
    await this.commitPath(temp, EMPTY_SHA256);
  }

  private async commitPath(temp: string, sha256: string): Promise<void> {
    const parent = join(this.dir, sha256.slice(0, 2));
    await mkdir(parent, { recursive: true });
    try {
      await link(temp, this.blobPath(sha256));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    await syncDirectory(parent);
    await unlink(temp).catch((err: unknown) => {
      if (!isNotFound(err)) throw err;
    });
  }

  async removeTemp(fileId: number): Promise<void> {
    await unlink(this.tempPath(fileId)).catch((err: unknown) => {
      if (!isNotFound(err)) throw err;
    });
  }

  /** Bytes an unprivileged writer may still use on the storage volume. */
  async freeBytes(): Promise<number> {
    const s = await statfs(this.dir);
    return s.bavail * s.bsize;
  }
}

export function isNotFound(err: unknown): boolean {
  return (err as NodeJS.ErrnoException | null)?.code === 'ENOENT';
}

export function isDiskFull(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT';
}

async function syncDirectory(path: string): Promise<void> {
  const handle = await open(path, constants.O_RDONLY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
