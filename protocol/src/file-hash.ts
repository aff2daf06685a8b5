import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';

/**
 * A sha256 fed with the first `length` bytes of a file (all of it when omitted), not yet digested:
 * an upload digests it; a resumed download goes on feeding it the bytes that follow.
 */
export async function hashFile(path: string, length?: number): Promise<Hash> {
  const hash = createHash('sha256');
  if (length === 0) return hash;
  const stream = createReadStream(path, { highWaterMark: 1024 * 1024, ...(length === undefined ? {} : { end: length - 1 }) });
  for await (const chunk of stream) hash.update(chunk as Buffer);
  return hash;
}

/** The sha256 (lower-case hex) of a whole file. */
export async function sha256OfFile(path: string): Promise<string> {
  return (await hashFile(path)).digest('hex');
}
