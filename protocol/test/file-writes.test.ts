import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { MAX_WRITE_BYTES, writevFully } from '../src/index';

describe('writevFully', () => {
  it('writes a burst of chunks at its offset in writev calls of at most MAX_WRITE_BYTES', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'parley-writes-'));
    try {
      const handle = await open(join(dir, 'f'), 'w+');
      const calls: number[] = [];
      const writev = handle.writev.bind(handle);
      // The real write, recorded: how many bytes each call asked the kernel for.
      handle.writev = ((buffers: NodeJS.ArrayBufferView[], position?: number) => {
        calls.push(buffers.reduce((n, b) => n + b.byteLength, 0));
        return writev(buffers, position);
      }) as typeof handle.writev;
      const prefix = randomBytes(1000);
      await handle.write(prefix, 0, prefix.length, 0);
      // 16 chunks of 256 KiB, one of 3 MiB and an empty one: what a fast download queues up.
      const chunks = [...Array.from({ length: 16 }, () => randomBytes(256 * 1024)), randomBytes(3 * 1024 * 1024), Buffer.alloc(0)];
      await writevFully(handle, chunks, prefix.length);
      await handle.close();
      assert.deepEqual(await readFile(join(dir, 'f')), Buffer.concat([prefix, ...chunks]));
      assert.ok(calls.every((n) => n <= MAX_WRITE_BYTES), `writev sizes ${calls.join(', ')}`);
      assert.equal(calls.length, Math.ceil((16 * 256 * 1024 + 3 * 1024 * 1024) / MAX_WRITE_BYTES));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
