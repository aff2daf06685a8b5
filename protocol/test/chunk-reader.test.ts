import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ChunkReader, READ_BLOCK_CHUNKS } from '../src/chunk-reader';

describe('ChunkReader', () => {
  const dir = mkdtempSync(join(tmpdir(), 'chunk-reader-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('gives the chunks from any start in order, exactly covering the file, the last one shorter', async () => {
    const chunkBytes = 1000;
    const bytes = randomBytes(chunkBytes * READ_BLOCK_CHUNKS * 3 + 123);
    const path = join(dir, 'a.bin');
    writeFileSync(path, bytes);
    for (const start of [0, chunkBytes * 5, bytes.length - 123]) {
      const handle = await open(path, 'r');
      try {
        const reader = new ChunkReader(handle, start, bytes.length, chunkBytes);
        const got: Buffer[] = [];
        for (let at = start; at < bytes.length; ) {
          const chunk = await reader.next();
          assert.ok(chunk.length > 0 && chunk.length <= chunkBytes);
          assert.ok(chunk.length === chunkBytes || at + chunk.length === bytes.length, 'only the last chunk is short');
          got.push(Buffer.from(chunk));
          at += chunk.length;
        }
        await reader.settle();
        assert.deepEqual(Buffer.concat(got), bytes.subarray(start));
      } finally {
        await handle.close();
      }
    }
  });

  it('fails when the file is shorter than announced (it changed during the upload)', async () => {
    const path = join(dir, 'short.bin');
    writeFileSync(path, randomBytes(2500));
    const handle = await open(path, 'r');
    try {
      const reader = new ChunkReader(handle, 0, 50_000, 1000);
      await assert.rejects(async () => {
        for (;;) await reader.next();
      }, /changed during the upload/);
      await reader.settle();
    } finally {
      await handle.close();
    }
  });
});
