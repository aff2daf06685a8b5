import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { Server } from 'node:http';
import express from 'express';
import { createLogger, ParleyError } from '@parley/common';
import { errorMiddleware } from '../src/error-middleware';

// How a refusal that says when to come back becomes HTTP: OVERLOADED (a chat server shedding
// sends) carries retryAfterMs, answered 503 with Retry-After in whole seconds, rounded up.
let server: Server;
let base: string;

before(async () => {
  const app = express();
  app.get('/overloaded/:ms', (req, _res, next) => next(new ParleyError('OVERLOADED', 'busy', { details: { retryAfterMs: Number(req.params.ms) } })));
  app.get('/limited', (_req, _res, next) => next(new ParleyError('RATE_LIMITED', undefined, { details: { retryAfterSec: 7 } })));
  app.use(errorMiddleware(createLogger({ kind: 'gate', id: 'test', level: 'silent' })));
  server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  await new Promise((resolve) => server.close(resolve));
});

describe('error middleware: Retry-After', () => {
  it('answers OVERLOADED 503 with retryAfterMs in the body and Retry-After rounded up to seconds', async () => {
    for (const [ms, sec] of [[1500, '2'], [100, '1'], [10_000, '10']] as const) {
      const res = await fetch(`${base}/overloaded/${ms}`);
      assert.equal(res.status, 503);
      assert.equal(res.headers.get('retry-after'), sec);
      assert.deepEqual(await res.json(), { error: { code: 'OVERLOADED', message: 'busy', details: { retryAfterMs: ms } } });
    }
  });

  it('keeps retryAfterSec for the limits', async () => {
    const res = await fetch(`${base}/limited`);
    assert.equal(res.status, 429);
    assert.equal(res.headers.get('retry-after'), '7');
  });
});
