import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isRetryableSendError, ProtocolError, serverRetryAfterMs } from '../src/index';

// A send refused OVERLOADED stored nothing: the client retries it (same clientMsgId), and not sooner
// than the server asked.
describe('send retry rules', () => {
  it('retries OVERLOADED, UNAVAILABLE and RATE_LIMITED, not an answer such as NOT_FRIENDS', () => {
    assert.equal(isRetryableSendError(new ProtocolError('OVERLOADED', 'busy', { details: { retryAfterMs: 300 } })), true);
    assert.equal(isRetryableSendError(new ProtocolError('UNAVAILABLE', 'down')), true);
    assert.equal(isRetryableSendError(new ProtocolError('RATE_LIMITED', 'slow down')), true);
    assert.equal(isRetryableSendError(new ProtocolError('NOT_FRIENDS', 'no')), false);
  });

  it("reads the server's wait from retryAfterMs or retryAfterSec", () => {
    assert.equal(serverRetryAfterMs(new ProtocolError('OVERLOADED', 'busy', { details: { retryAfterMs: 300 } })), 300);
    assert.equal(serverRetryAfterMs(new ProtocolError('RATE_LIMITED', 'slow', { details: { retryAfterSec: 2 } })), 2000);
    assert.equal(serverRetryAfterMs(new ProtocolError('UNAVAILABLE', 'down')), undefined);
    assert.equal(serverRetryAfterMs(new Error('x')), undefined);
  });
});
