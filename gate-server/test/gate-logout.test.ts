/**
 * POST /api/logout through a real gate, status- and verify-server (issue 11 item 3). The kick of a
 * live chat session is proven end to end in e2e/test/logout.test.ts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { RedisKeys, validateToken } from '@parley/common';
import { Backing, expectError, GOOD_PASSWORD, registerUser, request, startGate, type Gate } from './support';

let backing: Backing;
let gate: Gate;

before(async () => {
  backing = await Backing.start({ verify: { resendIntervalSec: 0, hourlyLimitPerIp: 100000 } });
  gate = await startGate(backing, { loginLimitPerIp: 10000 });
});

after(async () => {
  await gate?.stop();
  await backing?.stop();
});

async function loginToken(name: string): Promise<{ uid: number; token: string }> {
  const res = await gate.post('/api/login', { account: name, password: GOOD_PASSWORD });
  assert.equal(res.status, 200, res.text);
  return { uid: res.body.uid as number, token: res.body.token as string };
}

const auth = (uid: number, token: string) => ({ authorization: `Bearer ${uid}.${token}` });

describe('POST /api/logout', () => {
  test('revokes the bearer token (no body needed); the token is then refused, logout included', async () => {
    const user = await registerUser(gate, backing);
    const { uid, token } = await loginToken(user.name);
    const res = await request(gate.url, 'POST', '/api/logout', undefined, auth(uid, token));
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.body, { ok: true });
    assert.equal(await backing.env.redis.exists(RedisKeys.token(uid)), 0);
    assert.equal(await validateToken(backing.env.redis, uid, token), false);
    expectError(await gate.post('/api/logout', {}, auth(uid, token)), 401, 'TOKEN_INVALID');
    expectError(await gate.get('/api/groups', auth(uid, token)), 401, 'TOKEN_INVALID');
  });

  test('an old token cannot log out the newer one a later login issued', async () => {
    const user = await registerUser(gate, backing);
    const first = await loginToken(user.name);
    const second = await loginToken(user.name);
    expectError(await gate.post('/api/logout', {}, auth(first.uid, first.token)), 401, 'TOKEN_INVALID');
    assert.equal(await validateToken(backing.env.redis, second.uid, second.token), true);
    const res = await gate.post('/api/logout', { any: 'body is ignored' }, auth(second.uid, second.token));
    assert.equal(res.status, 200, res.text);
    assert.equal(await validateToken(backing.env.redis, second.uid, second.token), false);
  });

  test('refuses a request without a bearer token with 401 UNAUTHENTICATED', async () => {
    expectError(await request(gate.url, 'POST', '/api/logout', undefined, {}), 401, 'UNAUTHENTICATED');
  });
});
