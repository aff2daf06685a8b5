import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { MAX_GATHERED_PARTS, MsgId, TlvDecoder, decodeFileClientMessage, encodeChunkFrame, encodeFrameRaw, type Frame } from '../src/index';

/** The whole body of a frame, whether gathered in parts or in one buffer. */
function bodyOf(f: Frame): Buffer {
  return f.parts ? Buffer.concat(f.parts) : f.body;
}

describe('TlvDecoder gather', () => {
  const data = randomBytes(5000);
  const chunk = encodeChunkFrame(MsgId.UploadChunk, { fileId: 7, offset: 123 }, data);
  const other = encodeFrameRaw(MsgId.Ping, Buffer.from('{}'));
  const stream = Buffer.concat([other, chunk, other]);
  const gather = (id: number) => id === MsgId.UploadChunk;

  it('gives a gathered frame as views of its input pieces, split anywhere, and decodes it', () => {
    for (let cut = 1; cut < stream.length; cut += 97) {
      const decoder = new TlvDecoder({ maxBodyBytes: 10_000, gather });
      const pieces = [stream.subarray(0, cut), stream.subarray(cut, cut + 1500), stream.subarray(cut + 1500)];
      const frames = pieces.flatMap((p) => decoder.push(p));
      assert.deepEqual(frames.map((f) => f.id), [MsgId.Ping, MsgId.UploadChunk, MsgId.Ping]);
      const up = frames[1] as Frame;
      assert.deepEqual(bodyOf(up), chunk.subarray(6));
      for (const p of up.parts ?? []) assert.ok(pieces.some((q) => q.buffer === p.buffer), 'a view, not a copy');
      const message = decodeFileClientMessage(up);
      assert.equal(message.id, MsgId.UploadChunk);
      if (message.id !== MsgId.UploadChunk) return;
      assert.deepEqual(message.msg, { fileId: 7, offset: 123 });
      assert.deepEqual(message.parts ? Buffer.concat(message.parts) : message.data, data);
    }
  });

  it('copies a frame that trickles in tiny pieces into one body after all', () => {
    const decoder = new TlvDecoder({ maxBodyBytes: 10_000, gather });
    const frames: Frame[] = [];
    for (let i = 0; i < chunk.length; i += 7) frames.push(...decoder.push(Buffer.from(chunk.subarray(i, i + 7))));
    assert.equal(frames.length, 1);
    const f = frames[0] as Frame;
    assert.ok(chunk.length / 7 > MAX_GATHERED_PARTS);
    assert.equal(f.parts, undefined, 'no longer in pieces');
    assert.deepEqual(f.body, chunk.subarray(6));
  });

  it('refuses to gather from an input the caller reuses', () => {
    assert.throws(() => new TlvDecoder({ maxBodyBytes: 10, gather, inputReused: true }), RangeError);
  });
});
