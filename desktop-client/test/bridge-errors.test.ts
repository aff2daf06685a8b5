import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { BridgeError, BridgeErrorCodes, toWireError } from '../src/shared/bridge-errors';

// dist/test → the repository root.
const DOC = readFileSync(join(__dirname, '..', '..', '..', 'docs', 'desktop.md'), 'utf8');

describe('bridge error codes', () => {
  it('every code is documented in docs/desktop.md', () => {
    for (const code of Object.keys(BridgeErrorCodes)) assert.match(DOC, new RegExp(`\\| \`${code}\` \\|`), code);
  });

  it('a coded error keeps its code and (bounded) message; anything else is INTERNAL', () => {
    assert.deepEqual(toWireError(new BridgeError('UPLOAD_BUSY')), { code: 'UPLOAD_BUSY', message: BridgeErrorCodes.UPLOAD_BUSY });
    assert.deepEqual(toWireError({ code: 'NOT_FRIENDS', message: 'm' }), { code: 'NOT_FRIENDS', message: 'm' });
    assert.equal(toWireError({ code: 'NOT_FRIENDS', message: 'm'.repeat(10_000) }).message.length, 500);
    for (const err of [new Error('boom'), 'boom', null, undefined, 42, { code: 'lower_case', message: 'm' }, { code: 'OK_CODE' }, { code: 7, message: 'm' }]) {
      assert.deepEqual(toWireError(err), { code: 'INTERNAL', message: BridgeErrorCodes.INTERNAL });
    }
  });
});
