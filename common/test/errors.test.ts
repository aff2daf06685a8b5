import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { ErrorCodes, fromGrpcError, ParleyError, toGrpcError, toParleyError } from '../src';

describe('errors', () => {
  it('maps every code to an HTTP status and a gRPC status, and back', () => {
    for (const code of Object.keys(ErrorCodes) as (keyof typeof ErrorCodes)[]) {
      const err = new ParleyError(code, 'why');
      assert.ok(err.httpStatus >= 400 && err.httpStatus < 600);
      const wire = toGrpcError(err);
      const back = fromGrpcError({ ...wire, message: 'x', name: 'Error' } as ServiceError);
      assert.equal(back.code, code);
      assert.equal(back.message, 'why');
    }
  });

  it('never exposes the cause in the public JSON', () => {
    const err = toParleyError(new Error('SELECT secret FROM users'));
    assert.equal(err.code, 'INTERNAL');
    assert.deepEqual(err.toJSON(), { code: 'INTERNAL', message: ErrorCodes.INTERNAL.message });
  });

  it('turns a transport failure into UNAVAILABLE', () => {
    const e = fromGrpcError({ code: status.UNAVAILABLE, details: 'connection refused', metadata: new Metadata(), message: '', name: 'Error' });
    assert.equal(e.code, 'UNAVAILABLE');
  });
});

describe('error details over gRPC', () => {
  it('carries public details such as retryAfterSec, never those of INTERNAL', () => {
    const wire = toGrpcError(new ParleyError('CODE_COOLDOWN', undefined, { details: { retryAfterSec: 42 } }));
    const back = fromGrpcError({ ...wire, message: 'x', name: 'Error' } as ServiceError);
    assert.deepEqual(back.details, { retryAfterSec: 42 });
    const internal = toGrpcError(new ParleyError('INTERNAL', undefined, { details: { query: 'SELECT secret' } }));
    assert.deepEqual(internal.metadata?.get('parley-details'), []);
  });
});
