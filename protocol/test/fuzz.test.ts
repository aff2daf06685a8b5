import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeClientMessage, decodeFileClientMessage, encodeFrame, isClientFrameId } from '../src/index';
import { allSamples, decodeCheck, endsOnFrameBoundary, nextFuzzFrame, Prng, runDecodeFuzz } from '../src/fuzz/index';

// A seeded slice of bench/src/fuzz.ts (which runs a million): hostile frames through the TLV decoder
// and the message schemas must be refused with documented codes only, quickly, and never throw
// anything else. PARLEY_FUZZ_SEED replays another seed.
const seed = Number(process.env.PARLEY_FUZZ_SEED ?? 20261201);

describe('protocol fuzzing', () => {
  it('every sample the fuzzer mutates is a valid message', () => {
    for (const [id, body] of allSamples()) {
      const frame = { id, body: encodeFrame(id, body).subarray(6) };
      assert.doesNotThrow(() => (isClientFrameId(id) ? decodeClientMessage(frame) : decodeFileClientMessage(frame)), `sample ${id}`);
    }
  });

  it('the same seed makes the same inputs', () => {
    const a = new Prng(42);
    const b = new Prng(42);
    for (let i = 0; i < 200; i++) assert.deepEqual(nextFuzzFrame(a).bytes, nextFuzzFrame(b).bytes);
  });

  it('endsOnFrameBoundary tells whole frames from cut ones', () => {
    const frame = encodeFrame(2, {});
    assert.equal(endsOnFrameBoundary(frame), true);
    assert.equal(endsOnFrameBoundary(Buffer.concat([frame, frame])), true);
    assert.equal(endsOnFrameBoundary(frame.subarray(0, frame.length - 1)), false);
    assert.equal(endsOnFrameBoundary(frame.subarray(0, 3)), false);
    assert.equal(endsOnFrameBoundary(Buffer.alloc(0)), true);
  });

  it('decodeCheck counts a documented refusal as a refusal, not a crash', () => {
    const r = decodeCheck(new Prng(1), encodeFrame(2, { pad: 'x'.repeat(100) }), 10);
    assert.deepEqual(r.codes, ['FRAME_TOO_LARGE']);
    assert.equal(r.crash, undefined);
    assert.equal(r.frames, 0);
  });

  it(`seed ${seed}: 5,000 inputs, only documented refusals, none near a hang, memory flat`, () => {
    const s = runDecodeFuzz({ seed, inputs: 5000, budgetMs: 1000 });
    assert.deepEqual(s.crashes, [], `seed ${seed}`);
    assert.equal(s.overBudget, 0, `seed ${seed}: slowest ${JSON.stringify(s.slowest)} took ${s.maxMs} ms`);
    for (const code of Object.keys(s.codes)) assert.ok(['FRAME_TOO_LARGE', 'MALFORMED_FRAME', 'VALIDATION_FAILED', 'UNKNOWN_MESSAGE'].includes(code), code);
    assert.ok(s.accepted > 50, `some inputs are accepted: ${s.accepted}`);
    assert.ok(Object.keys(s.kinds).length >= 6, JSON.stringify(s.kinds));
    assert.ok(s.rssMaxMb - s.rssStartMb < 300, `RSS ${s.rssStartMb} → ${s.rssMaxMb} MB`);
  });
});
