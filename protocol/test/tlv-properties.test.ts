import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  FRAME_HEADER_BYTES,
  ProtocolError,
  TlvDecoder,
  decodeClientMessage,
  encodeFrameRaw,
} from '../src/index';
import type { Frame } from '../src/index';

// fc.record builds null-prototype objects; rebuild plain ones so deepEqual compares content.
const frameArb = fc
  .tuple(fc.integer({ min: 0, max: 0xffff }), fc.uint8Array({ maxLength: 300 }))
  .map(([id, body]): Frame => ({ id, body: Buffer.from(body) }));

/** Cuts `bytes` at the given points (taken modulo its length) into consecutive chunks. */
function splitAt(bytes: Buffer, points: readonly number[]): Buffer[] {
  if (bytes.length === 0) return [bytes];
  const cuts = [...new Set(points.map((p) => p % bytes.length))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let start = 0;
  for (const cut of cuts) {
    chunks.push(bytes.subarray(start, cut));
    start = cut;
  }
  chunks.push(bytes.subarray(start));
  return chunks;
}

describe('TLV codec properties', () => {
  it('frames encoded then split anywhere decode to the same frames', () => {
    fc.assert(
      fc.property(fc.array(frameArb, { maxLength: 20 }), fc.array(fc.nat(), { maxLength: 40 }), (frames, points) => {
        const bytes = Buffer.concat(frames.map((f) => encodeFrameRaw(f.id, f.body)));
        const decoder = new TlvDecoder({ maxBodyBytes: 300 });
        const got: Frame[] = [];
        for (const chunk of splitAt(bytes, points)) {
          for (const f of decoder.push(chunk)) got.push({ id: f.id, body: Buffer.from(f.body) });
        }
        assert.deepEqual(got, frames);
        assert.equal(decoder.bufferedBytes, 0);
      }),
      { numRuns: 300 },
    );
  });

  it('random bytes only ever raise typed errors and never overfill the buffer', () => {
    const max = 16;
    const allowedDecodeCodes = new Set(['UNKNOWN_MESSAGE', 'MALFORMED_FRAME', 'VALIDATION_FAILED']);
    // Low ids and small lengths are biased in so that real frames (and schema checks) happen.
    const chunkArb = fc.oneof(
      fc.uint8Array({ maxLength: 64 }),
      fc.tuple(fc.constantFrom(2, 10, 40, 43, 44, 99), fc.integer({ min: 0, max: max + 2 }), fc.uint8Array({ maxLength: 24 })).map(
        ([id, len, rest]) => {
          const h = Buffer.alloc(FRAME_HEADER_BYTES);
          h.writeUInt16BE(id, 0);
          h.writeUInt32BE(len, 2);
          return Buffer.concat([h, rest]);
        },
      ),
    );
    fc.assert(
      fc.property(fc.array(chunkArb, { maxLength: 30 }), (chunks) => {
        const decoder = new TlvDecoder({ maxBodyBytes: max });
        let failed = false;
        for (const chunk of chunks) {
          let frames: Frame[] = [];
          let error: unknown;
          try {
            frames = decoder.push(Buffer.from(chunk));
          } catch (err) {
            error = err;
          }
          if (failed) assert.notEqual(error, undefined, 'a failed decoder must keep throwing');
          if (error !== undefined) {
            assert.ok(error instanceof ProtocolError, `unexpected ${String(error)}`);
            assert.equal(error.code, 'FRAME_TOO_LARGE');
            failed = true;
          }
          assert.ok(decoder.bufferedBytes <= FRAME_HEADER_BYTES + max);
          for (const f of frames) {
            assert.ok(f.body.length <= max);
            try {
              decodeClientMessage(f);
            } catch (err) {
              assert.ok(err instanceof ProtocolError && allowedDecodeCodes.has(err.code), `unexpected ${String(err)}`);
            }
          }
        }
      }),
      { numRuns: 500 },
    );
  });

  it('any JSON body for a client id either decodes or fails with VALIDATION_FAILED', () => {
    const ids = [2, 10, 20, 22, 24, 26, 28, 30, 40, 43, 44, 46, 48];
    fc.assert(
      fc.property(fc.constantFrom(...ids), fc.jsonValue(), (id, value) => {
        const body = Buffer.from(JSON.stringify(value) ?? 'null', 'utf8');
        try {
          const decoded = decodeClientMessage({ id, body });
          assert.equal(decoded.id, id);
        } catch (err) {
          assert.ok(err instanceof ProtocolError && err.code === 'VALIDATION_FAILED', `unexpected ${String(err)}`);
        }
      }),
      { numRuns: 500 },
    );
  });
});
