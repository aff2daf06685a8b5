import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { decodeClientMessage, encodeFrame, findLoneSurrogate, MsgId, ValidationError } from '../src/index';

describe('lone surrogates', () => {
  it('finds them in values and keys, at any depth, without recursion', () => {
    assert.equal(findLoneSurrogate({ a: [1, { b: 'x\uD800' }] }), 'a.1.b');
    assert.equal(findLoneSurrogate({ a: { '\uDC00': 1 } }), 'a.(key)');
    assert.equal(findLoneSurrogate({ a: 'pair \uD83C\uDF37', b: '\uDBFF\uDFFF' }), undefined);
    let deep: unknown = '\uDFFF';
    for (let i = 0; i < 200_000; i++) deep = [deep];
    assert.equal(typeof findLoneSurrogate(deep), 'string');
  });

  it('the decoder refuses any string with one, keeping the reqId, and passes any well-formed string', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.constantFrom('\uD800', '\uDFFF', '\uDBFF'), fc.string({ unit: 'binary' }), (pre, lone, post) => {
        const frame = { id: MsgId.SearchUserReq, body: encodeFrame(MsgId.SearchUserReq, { reqId: 9, query: `${pre}${lone}${post}` }).subarray(6) };
        assert.throws(() => decodeClientMessage(frame), (err: ValidationError) => err instanceof ValidationError && err.reqId === 9);
      }),
    );
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 50 }), (query) => {
        const frame = { id: MsgId.SearchUserReq, body: encodeFrame(MsgId.SearchUserReq, { reqId: 9, query }).subarray(6) };
        decodeClientMessage(frame);
      }),
    );
  });
});
