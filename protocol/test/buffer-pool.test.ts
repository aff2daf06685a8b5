import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BufferPool, MsgId, TlvDecoder, encodeChunkFrame } from '../src/index';

describe('BufferPool', () => {
  it('reuses what is given back, ignores foreign buffers and keeps at most maxFree', () => {
    const pool = new BufferPool(1024, 2);
    const a = pool.take(100);
    assert.equal(a.length, 100);
    assert.equal(a.buffer.byteLength, 1024);
    pool.give(a.subarray(10, 20));
    assert.equal(pool.available, 1);
    assert.equal(pool.take(1024).buffer, a.buffer, 'the same memory again');
    pool.give(Buffer.alloc(1024));
    assert.equal(pool.available, 0, 'not ours');
    const big = pool.take(2000);
    assert.equal(big.length, 2000);
    pool.give(big);
    assert.equal(pool.available, 0, 'too big to pool');
    const [x, y, z] = [pool.take(1), pool.take(1), pool.take(1)];
    for (const b of [x, y, z, x]) pool.give(b);
    assert.equal(pool.available, 2, 'bounded, and a double give counts once');
  });

  it('feeds a TlvDecoder: pooled bodies decode the same frames, split anywhere', () => {
    const pool = new BufferPool(600, 4);
    const frames = [encodeChunkFrame(MsgId.UploadChunk, { fileId: 1, offset: 0 }, Buffer.alloc(500, 1)), encodeChunkFrame(MsgId.UploadChunk, { fileId: 1, offset: 500 }, Buffer.alloc(300, 2))];
    const bytes = Buffer.concat(frames);
    for (let cut = 1; cut < bytes.length; cut += 37) {
      const decoder = new TlvDecoder({ maxBodyBytes: 1000, allocate: (id, length) => (id === MsgId.UploadChunk ? pool.take(length) : Buffer.allocUnsafe(length)) });
      const got = [...decoder.push(bytes.subarray(0, cut)), ...decoder.push(bytes.subarray(cut))];
      assert.deepEqual(got.map((f) => Buffer.concat([Buffer.from([f.id >> 8, f.id & 0xff]), f.body])), frames.map((f) => Buffer.concat([f.subarray(0, 2), f.subarray(6)])));
      for (const f of got) pool.give(f.body);
    }
  });
});
