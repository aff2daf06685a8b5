import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ProtocolError } from '@parley/protocol/codec';
import { ClientError, plainErrors, toApiError } from '../src/client-error';
import { GateError } from '../src/gate/gate-error';
import { checkId, randomId } from '../src/ids';

test('rejections become plain { code, message, details? }: no class, no stack, details copied as data', async () => {
  const protocol = new ProtocolError('NOT_FRIENDS', 'Not friends', { details: { uids: [3] } });
  const plain = toApiError(protocol);
  assert.deepEqual(plain, { code: 'NOT_FRIENDS', message: 'Not friends', details: { uids: [3] } });
  assert.equal(Object.getPrototypeOf(plain), Object.prototype);
  assert.equal('stack' in plain, false);
  assert.deepEqual(toApiError(new GateError('RATE_LIMITED', 'Slow down', 429, { retryAfterSec: 30 })), { code: 'RATE_LIMITED', message: 'Slow down', details: { retryAfterSec: 30 } });
  assert.deepEqual(toApiError(new ClientError('OFFLINE', 'Not connected')), { code: 'OFFLINE', message: 'Not connected' });
  assert.deepEqual(toApiError(new TypeError('boom')), { code: 'INTERNAL', message: 'boom' });
  assert.deepEqual(toApiError('text'), { code: 'INTERNAL', message: 'text' });
  await assert.rejects(plainErrors(Promise.reject(protocol)), (err: unknown) => !(err instanceof Error) && (err as { code?: string }).code === 'NOT_FRIENDS');
});

test('ids: random UUIDs with or without crypto.randomUUID; caller-made ids are bounded', () => {
  assert.match(randomId(), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  const original = globalThis.crypto.randomUUID;
  try {
    // A page served over plain http from another host has no randomUUID.
    Object.defineProperty(globalThis.crypto, 'randomUUID', { value: undefined, configurable: true });
    const ids = new Set(Array.from({ length: 100 }, randomId));
    assert.equal(ids.size, 100);
    for (const id of ids) assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  } finally {
    Object.defineProperty(globalThis.crypto, 'randomUUID', { value: original, configurable: true });
  }
  assert.doesNotThrow(() => checkId('a'.repeat(64), 64, 'clientMsgId'));
  assert.throws(() => checkId('', 64, 'clientMsgId'), { code: 'INVALID_ID' });
  assert.throws(() => checkId('a'.repeat(65), 64, 'clientMsgId'), { code: 'INVALID_ID' });
});
