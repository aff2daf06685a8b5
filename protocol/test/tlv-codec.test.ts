import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  FRAME_HEADER_BYTES,
  FrameTooLargeError,
  MalformedFrameError,
  ProtocolError,
  TlvDecoder,
  encodeFrame,
  encodeFrameRaw,
  parseBody,
} from '../src/index';
import type { Frame } from '../src/index';

const MAX = 64;

interface CodecCase {
  name: string;
  frames: Frame[];
  maxBodyBytes?: number;
}

function frame(id: number, body: string | Buffer): Frame {
  return { id, body: typeof body === 'string' ? Buffer.from(body, 'utf8') : body };
}

const cases: CodecCase[] = [
  { name: 'one small JSON frame', frames: [frame(10, '{"reqId":1,"uid":7,"token":"t"}')] },
  { name: 'zero-length body', frames: [frame(2, '')] },
  { name: 'zero-length bodies back to back', frames: [frame(2, ''), frame(2, ''), frame(3, '')] },
  {
    name: 'several frames coalesced',
    frames: [frame(40, '{"a":1}'), frame(42, ''), frame(65535, 'x'.repeat(MAX)), frame(0, '{}')],
  },
  { name: 'multi-byte UTF-8 body', frames: [frame(42, '{"body":"héllo 世界 🎉"}')] },
  { name: 'body of exactly maxBodyBytes', frames: [frame(1, Buffer.alloc(MAX, 0xab))] },
  { name: 'body larger than one socket read', frames: [frame(47, Buffer.alloc(3000, 7))], maxBodyBytes: 4096 },
];

function encodeAll(frames: readonly Frame[]): Buffer {
  return Buffer.concat(frames.map((f) => encodeFrameRaw(f.id, f.body)));
}

/** Decodes chunks and copies bodies, since the decoder may hand out views of its input. */
function decodeChunks(chunks: readonly Buffer[], maxBodyBytes: number): Frame[] {
  const decoder = new TlvDecoder({ maxBodyBytes });
  const out: Frame[] = [];
  for (const chunk of chunks) {
    for (const f of decoder.push(chunk)) out.push({ id: f.id, body: Buffer.from(f.body) });
    assert.ok(decoder.bufferedBytes <= FRAME_HEADER_BYTES + maxBodyBytes);
  }
  assert.equal(decoder.bufferedBytes, 0, 'no partial frame left over');
  return out;
}

function byteByByte(bytes: Buffer): Buffer[] {
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i++) chunks.push(bytes.subarray(i, i + 1));
  return chunks;
}

describe('TLV codec cases', () => {
  for (const c of cases) {
    const max = c.maxBodyBytes ?? MAX;
    const bytes = encodeAll(c.frames);

    it(`${c.name}: one chunk`, () => {
      assert.deepEqual(decodeChunks([bytes], max), c.frames);
    });

    it(`${c.name}: byte by byte`, () => {
      assert.deepEqual(decodeChunks(byteByByte(bytes), max), c.frames);
    });

    it(`${c.name}: split at every byte boundary`, () => {
      for (let cut = 1; cut < bytes.length; cut++) {
        const got = decodeChunks([bytes.subarray(0, cut), bytes.subarray(cut)], max);
        assert.deepEqual(got, c.frames, `split at ${cut}`);
      }
    });
  }
});

describe('TlvDecoder limits', () => {
  function header(id: number, length: number): Buffer {
    const h = Buffer.alloc(FRAME_HEADER_BYTES);
    h.writeUInt16BE(id, 0);
    h.writeUInt32BE(length, 2);
    return h;
  }

  it('rejects max+1 as soon as the header is complete, before any body byte', () => {
    const decoder = new TlvDecoder({ maxBodyBytes: MAX });
    const h = header(40, MAX + 1);
    assert.deepEqual(decoder.push(h.subarray(0, 5)), []);
    assert.throws(
      () => decoder.push(h.subarray(5)),
      (err: unknown) => err instanceof FrameTooLargeError && err.code === 'FRAME_TOO_LARGE' && err.length === MAX + 1,
    );
    assert.equal(decoder.bufferedBytes, 0);
    assert.equal(decoder.failed, true);
  });

  it('rejects a huge length without allocating it', () => {
    const decoder = new TlvDecoder({ maxBodyBytes: MAX });
    assert.throws(() => decoder.push(header(1, 0xffffffff)), { code: 'FRAME_TOO_LARGE' });
  });

  it('stays failed: every push after the error throws', () => {
    const decoder = new TlvDecoder({ maxBodyBytes: MAX });
    assert.equal(decoder.push(encodeFrame(2, {})).length, 1);
    assert.throws(() => decoder.push(header(2, MAX + 1)), FrameTooLargeError);
    assert.throws(() => decoder.push(encodeFrame(2, {})), { code: 'FRAME_TOO_LARGE' });
    assert.throws(() => decoder.push(Buffer.alloc(0)), { code: 'FRAME_TOO_LARGE' });
  });

  it('allows a body of exactly maxBodyBytes and holds at most header + max while buffering', () => {
    const decoder = new TlvDecoder({ maxBodyBytes: MAX });
    const bytes = encodeFrameRaw(5, Buffer.alloc(MAX, 1));
    let peak = 0;
    const frames: Frame[] = [];
    for (const chunk of byteByByte(bytes)) {
      frames.push(...decoder.push(chunk));
      peak = Math.max(peak, decoder.bufferedBytes);
    }
    assert.equal(frames.length, 1);
    assert.equal(frames[0]?.body.length, MAX);
    assert.equal(peak, MAX - 1, 'the last byte completes the frame instead of being held');
  });

  it('validates its options', () => {
    assert.throws(() => new TlvDecoder({ maxBodyBytes: -1 }), RangeError);
    assert.throws(() => new TlvDecoder({ maxBodyBytes: 1.5 }), RangeError);
  });
});

describe('encodeFrame', () => {
  it('writes the header and the JSON body in one buffer', () => {
    const buf = encodeFrame(42, { body: 'é' });
    const json = '{"body":"é"}';
    assert.equal(buf.readUInt16BE(0), 42);
    assert.equal(buf.readUInt32BE(2), Buffer.byteLength(json));
    assert.equal(buf.length, FRAME_HEADER_BYTES + Buffer.byteLength(json));
    assert.equal(buf.subarray(FRAME_HEADER_BYTES).toString('utf8'), json);
  });

  it('rejects ids that do not fit uint16', () => {
    assert.throws(() => encodeFrame(65536, {}), RangeError);
    assert.throws(() => encodeFrame(-1, {}), RangeError);
    assert.throws(() => encodeFrameRaw(1.5, Buffer.alloc(0)), RangeError);
  });
});

describe('parseBody', () => {
  it('parses UTF-8 JSON', () => {
    assert.deepEqual(parseBody(frame(42, '{"a":[1,"ü"]}')), { a: [1, 'ü'] });
  });

  for (const [name, body] of [
    ['invalid JSON', Buffer.from('{"a":')],
    // Valid JSON once 0xff is replaced by U+FFFD, so only a strict UTF-8 check catches it.
    ['invalid UTF-8', Buffer.concat([Buffer.from('{"a":"'), Buffer.from([0xff]), Buffer.from('"}')])],
    ['an empty body', Buffer.alloc(0)],
  ] as const) {
    it(`rejects ${name} with MALFORMED_FRAME`, () => {
      assert.throws(
        () => parseBody({ id: 10, body }),
        (err: unknown) => err instanceof MalformedFrameError && err instanceof ProtocolError && err.code === 'MALFORMED_FRAME',
      );
    });
  }
});

describe('TlvDecoder with inputReused', () => {
  it('copies every body out, so overwriting the input afterwards changes no frame', () => {
    const frames = [encodeFrameRaw(7, Buffer.from('{"a":1}')), encodeFrameRaw(9, Buffer.alloc(0)), encodeFrameRaw(8, Buffer.from('body'))];
    const input = Buffer.concat(frames);
    const expected = new TlvDecoder({ maxBodyBytes: 1000 }).push(Buffer.from(input)).map((f) => ({ id: f.id, body: Buffer.from(f.body) }));
    const decoder = new TlvDecoder({ maxBodyBytes: 1000, inputReused: true });
    const got = decoder.push(input);
    input.fill(0xee);
    assert.deepEqual(got.map((f) => ({ id: f.id, body: Buffer.from(f.body) })), expected);
  });
});
