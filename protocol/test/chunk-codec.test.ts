import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  CHUNK_HEADER_LENGTH_BYTES,
  FRAME_HEADER_BYTES,
  MAX_CHUNK_HEADER_BYTES,
  MalformedFrameError,
  MsgId,
  ProtocolError,
  TlvDecoder,
  chunkFrameHead,
  decodeChunkBody,
  decodeFileClientMessage,
  decodeFileServerMessage,
  encodeChunkFrame,
  encodeFrame,
  encodeFrameRaw,
  fileFrameLimit,
} from '../src/index';
import type { FileClientMessage, Frame } from '../src/index';

const CHUNK = 4096;
const LIMIT = fileFrameLimit(CHUNK);

function data(length: number, seed = 1): Buffer {
  const b = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) b[i] = (i * 31 + seed) & 0xff;
  return b;
}

interface ChunkCase {
  name: string;
  /** Frames on the wire, in order: JSON frames and binary chunks mixed. */
  frames: Buffer[];
  /** What decodeFileClientMessage gives for each, data copied. */
  expect: { id: number; msg: unknown; data?: Buffer }[];
}

const upload = (fileId: number, offset: number, bytes: Buffer) => ({
  wire: encodeChunkFrame(MsgId.UploadChunk, { fileId, offset }, bytes),
  decoded: { id: MsgId.UploadChunk, msg: { fileId, offset }, data: bytes },
});

const small = upload(7, 0, data(100));
const full = upload(7, 100, data(CHUNK, 9));
const empty = upload(8, 5, Buffer.alloc(0));
const init = { reqId: 1, name: 'a.bin', size: 10, sha256: 'a'.repeat(64), mime: 'application/octet-stream' };

const cases: ChunkCase[] = [
  { name: 'one small chunk', frames: [small.wire], expect: [small.decoded] },
  { name: 'a chunk of exactly chunk_bytes', frames: [full.wire], expect: [full.decoded] },
  { name: 'a chunk without data', frames: [empty.wire], expect: [empty.decoded] },
  {
    name: 'JSON frames and chunks back to back',
    frames: [encodeFrame(MsgId.UploadInitReq, init), small.wire, full.wire, encodeFrame(MsgId.Ping, {}), empty.wire],
    expect: [{ id: MsgId.UploadInitReq, msg: init }, small.decoded, full.decoded, { id: MsgId.Ping, msg: {} }, empty.decoded],
  },
];

function decodeAll(chunks: readonly Buffer[]): { id: number; msg: unknown; data?: Buffer }[] {
  const decoder = new TlvDecoder({ maxBodyBytes: LIMIT });
  const out: { id: number; msg: unknown; data?: Buffer }[] = [];
  for (const chunk of chunks) {
    for (const frame of decoder.push(chunk)) {
      const m: FileClientMessage = decodeFileClientMessage(frame);
      out.push('data' in m ? { id: m.id, msg: m.msg, data: Buffer.from(m.data) } : { id: m.id, msg: m.msg });
    }
  }
  assert.equal(decoder.bufferedBytes, 0, 'no partial frame left over');
  return out;
}

describe('binary chunk frames', () => {
  for (const c of cases) {
    const bytes = Buffer.concat(c.frames);
    it(`${c.name}: one chunk`, () => {
      assert.deepEqual(decodeAll([bytes]), c.expect);
    });
    it(`${c.name}: byte by byte`, () => {
      const chunks: Buffer[] = [];
      for (let i = 0; i < bytes.length; i++) chunks.push(bytes.subarray(i, i + 1));
      assert.deepEqual(decodeAll(chunks), c.expect);
    });
    it(`${c.name}: split at every byte boundary`, () => {
      for (let cut = 1; cut < bytes.length; cut++) {
        assert.deepEqual(decodeAll([bytes.subarray(0, cut), bytes.subarray(cut)]), c.expect, `split at ${cut}`);
      }
    });
  }

  it('chunkFrameHead + data is the same bytes as encodeChunkFrame', () => {
    const d = data(300);
    assert.deepEqual(Buffer.concat([chunkFrameHead(MsgId.DownloadChunk, { fileId: 1, offset: 2 }, d.length), d]), encodeChunkFrame(MsgId.DownloadChunk, { fileId: 1, offset: 2 }, d));
    const head = chunkFrameHead(MsgId.DownloadChunk, { fileId: 1, offset: 2 }, d.length);
    assert.equal(head.readUInt16BE(0), MsgId.DownloadChunk);
    assert.equal(head.readUInt32BE(2), head.length - FRAME_HEADER_BYTES + d.length);
  });

  it('decodes a DownloadChunk on the client side with its data', () => {
    const d = data(50);
    const bytes = encodeChunkFrame(MsgId.DownloadChunk, { fileId: 3, offset: 100 }, d);
    const m = decodeFileServerMessage({ id: bytes.readUInt16BE(0), body: bytes.subarray(FRAME_HEADER_BYTES) });
    assert.equal(m.id, MsgId.DownloadChunk);
    assert.ok('data' in m);
    assert.deepEqual([m.msg, Buffer.from(m.data)], [{ fileId: 3, offset: 100 }, d]);
  });

  it('refuses to build a header beyond the limit or an id beyond uint16', () => {
    assert.throws(() => chunkFrameHead(MsgId.UploadChunk, { pad: 'x'.repeat(MAX_CHUNK_HEADER_BYTES) }, 0), RangeError);
    assert.throws(() => chunkFrameHead(70000, {}, 0), RangeError);
    assert.throws(() => chunkFrameHead(MsgId.UploadChunk, {}, -1), RangeError);
  });
});

describe('hostile binary bodies', () => {
  function body(headerLength: number, rest: Buffer): Frame {
    const b = Buffer.allocUnsafe(CHUNK_HEADER_LENGTH_BYTES);
    b.writeUInt32BE(headerLength, 0);
    return { id: MsgId.UploadChunk, body: Buffer.concat([b, rest]) };
  }
  const header = Buffer.from('{"fileId":1,"offset":0}');

  const malformed: [string, Frame][] = [
    ['an empty body', { id: MsgId.UploadChunk, body: Buffer.alloc(0) }],
    ['a body shorter than the length field', { id: MsgId.UploadChunk, body: Buffer.from([0, 0, 1]) }],
    ['a header length past the body', body(header.length + 1, header)],
    ['a header length of 2^32 - 1', body(0xffffffff, header)],
    ['a header length above the limit, body long enough', body(MAX_CHUNK_HEADER_BYTES + 1, Buffer.alloc(MAX_CHUNK_HEADER_BYTES + 10, 0x20))],
    ['a header that is not UTF-8', body(3, Buffer.from([0x7b, 0xff, 0x7d]))],
    ['a header that is not JSON', body(5, Buffer.from('{"a":'))],
    ['an empty header', body(0, Buffer.from('data'))],
  ];
  for (const [name, frame] of malformed) {
    it(`${name} → MALFORMED_FRAME (fatal)`, () => {
      assert.throws(() => decodeFileClientMessage(frame), (err: unknown) => err instanceof MalformedFrameError && err.fatal && err.code === 'MALFORMED_FRAME');
    });
  }

  it('a well-formed body whose header fails the schema → VALIDATION_FAILED, not fatal', () => {
    const bad = Buffer.from('{"fileId":0,"offset":-1}');
    assert.throws(
      () => decodeFileClientMessage(body(bad.length, Buffer.concat([bad, data(10)]))),
      (err: unknown) => err instanceof ProtocolError && err.code === 'VALIDATION_FAILED' && !err.fatal,
    );
  });

  it('the chat ids are unknown on a file connection, the file ids on a chat connection', () => {
    assert.throws(() => decodeFileClientMessage({ id: MsgId.SendReq, body: Buffer.from('{}') }), { code: 'UNKNOWN_MESSAGE' });
    assert.throws(() => decodeFileClientMessage({ id: MsgId.DownloadChunk, body: header }), { code: 'UNKNOWN_MESSAGE' });
  });

  it('a frame above the file frame limit fails from its header alone', () => {
    const decoder = new TlvDecoder({ maxBodyBytes: LIMIT });
    const h = Buffer.allocUnsafe(FRAME_HEADER_BYTES);
    h.writeUInt16BE(MsgId.UploadChunk, 0);
    h.writeUInt32BE(LIMIT + 1, 2);
    assert.throws(() => decoder.push(h), { code: 'FRAME_TOO_LARGE' });
  });

  it('decodeChunkBody hands out a view, not a copy', () => {
    const wire = encodeFrameRaw(MsgId.UploadChunk, Buffer.concat([Buffer.from([0, 0, 0, header.length]), header, Buffer.from('xyz')]));
    const frame = { id: MsgId.UploadChunk, body: wire.subarray(FRAME_HEADER_BYTES) };
    const chunk = decodeChunkBody(frame);
    assert.equal(chunk.data.buffer, wire.buffer);
    assert.equal(chunk.data.toString(), 'xyz');
  });
});

describe('binary chunk properties', () => {
  it('any header and data, split anywhere, decode to themselves', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 1, max: 2 ** 40 }), fc.integer({ min: 0, max: 2 ** 40 }), fc.uint8Array({ maxLength: 600 })), { minLength: 1, maxLength: 6 }),
        fc.array(fc.nat(), { maxLength: 20 }),
        (chunks, points) => {
          const bytes = Buffer.concat(chunks.map(([fileId, offset, d]) => encodeChunkFrame(MsgId.UploadChunk, { fileId, offset }, d)));
          const cuts = [...new Set(points.map((p) => p % bytes.length))].sort((a, b) => a - b);
          const parts: Buffer[] = [];
          let start = 0;
          for (const cut of cuts) {
            parts.push(bytes.subarray(start, cut));
            start = cut;
          }
          parts.push(bytes.subarray(start));
          const got = decodeAll(parts);
          assert.deepEqual(
            got,
            chunks.map(([fileId, offset, d]) => ({ id: MsgId.UploadChunk, msg: { fileId, offset }, data: Buffer.from(d) })),
          );
        },
      ),
      { numRuns: 200 },
    );
  });

  it('random binary bodies only ever raise typed, expected errors', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.integer({ min: 0, max: 80 }), (rest, headerLength) => {
        const b = Buffer.allocUnsafe(4);
        b.writeUInt32BE(headerLength, 0);
        try {
          decodeFileClientMessage({ id: MsgId.UploadChunk, body: Buffer.concat([b, rest]) });
        } catch (err) {
          assert.ok(err instanceof ProtocolError && ['MALFORMED_FRAME', 'VALIDATION_FAILED'].includes(err.code), String(err));
        }
      }),
      { numRuns: 500 },
    );
  });
});
