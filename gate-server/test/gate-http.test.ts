/**
 * HTTP behaviour of the gate that does not depend on accounts: JSON errors everywhere, body handling,
 * field validation, health, backends down.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ResultSetHeader } from 'mysql2/promise';
import { issueToken } from '@parley/common';
import { freePort } from '@parley/common/testing';
import { VerifyKeys } from '@parley/verify-server';
import { Backing, expectError, freshEmail, GOOD_PASSWORD, issueFields, request, startGate, type Gate } from './support';

let backing: Backing;
let gate: Gate;

before(async () => {
  backing = await Backing.start();
  gate = await startGate(backing, { bodyLimitBytes: 2048 });
});

after(async () => {
  await gate?.stop();
  await backing?.stop();
});

describe('errors are always JSON', () => {
  test('unknown route and wrong method: 404 NOT_FOUND as JSON', async () => {
    expectError(await gate.get('/nope'), 404, 'NOT_FOUND');
    expectError(await gate.get('/api/login'), 404, 'NOT_FOUND');
    expectError(await gate.post('/api/nope', {}), 404, 'NOT_FOUND');
    // (/ is the web app: gate-web-app.test.ts.)
    const res = await gate.get('/nope/deeper');
    expectError(res, 404, 'NOT_FOUND');
    assert.ok(!res.text.includes('<'), 'no HTML');
    assert.equal(res.headers.get('x-powered-by'), null);
  });

  test('OPTIONS anywhere: 404 NOT_FOUND as JSON, not express\'s plain-text Allow list (found by bench/src/fuzz.ts)', async () => {
    for (const path of ['/api/health', '/api/login', '/api/groups', '/']) {
      const res = await request(gate.url, 'OPTIONS', path, undefined, {});
      expectError(res, 404, 'NOT_FOUND');
      assert.equal(res.headers.get('allow'), null, path);
    }
  });

  test('malformed percent-encoding in a path parameter: 400 BAD_REQUEST, not 500 INTERNAL (found by bench/src/fuzz.ts)', async () => {
    // A real user and token: the bearer check runs before the route (and its parameters) is matched.
    const [row] = await backing.env.pool.query<ResultSetHeader>("INSERT INTO users (name, email, password_hash, nickname) VALUES ('pct_user', 'pct@test.local', 'x', 'p')");
    const token = await issueToken(backing.env.redis, row.insertId, 600);
    for (const path of ['/api/groups/%ZZ', '/api/conversations/%E0%A4%A/messages', '/api/groups/%']) {
      const res = await request(gate.url, 'GET', path, undefined, { authorization: `Bearer ${row.insertId}.${token}` });
      assert.match(expectError(res, 400, 'BAD_REQUEST').message, /percent-encoding/, path);
    }
  });

  test('malformed JSON: 400 BAD_REQUEST without echoing the body or a stack', async () => {
    const res = await gate.post('/api/login', '{"account": "alice", "password": ');
    const error = expectError(res, 400, 'BAD_REQUEST');
    assert.match(error.message, /not valid JSON/);
    assert.ok(!res.text.includes('alice'));
    expectError(await gate.post('/api/register', 'not json at all'), 400, 'BAD_REQUEST');
  });

  test('wrong or missing content type: 400 BAD_REQUEST', async () => {
    const res = await request(gate.url, 'POST', '/api/login', JSON.stringify({ account: 'a', password: 'b' }), { 'content-type': 'text/plain' });
    assert.match(expectError(res, 400, 'BAD_REQUEST').message, /Content-Type/);
    expectError(await request(gate.url, 'POST', '/api/login', 'account=a&password=b', { 'content-type': 'application/x-www-form-urlencoded' }), 400, 'BAD_REQUEST');
    expectError(await request(gate.url, 'POST', '/api/login', undefined, {}), 400, 'BAD_REQUEST');
  });

  test('a body over gate.body_limit_bytes: 413 PAYLOAD_TOO_LARGE', async () => {
    const big = { account: 'a', password: 'x'.repeat(4000) };
    const error = expectError(await gate.post('/api/login', big), 413, 'PAYLOAD_TOO_LARGE');
    assert.deepEqual(error.details, { limitBytes: 2048 });
    // Just under the limit is read (and then fails validation on its merits instead).
    const fits = await gate.post('/api/login', { account: 'a', password: 'x'.repeat(1900) });
    expectError(fits, 400, 'VALIDATION_FAILED');
  });

  test('a JSON array or scalar body is a validation failure of "body"', async () => {
    assert.deepEqual(issueFields(expectError(await gate.post('/api/login', [1, 2]), 400, 'VALIDATION_FAILED')), ['body']);
    // body-parser's strict mode refuses top-level scalars as malformed.
    expectError(await gate.post('/api/login', '"just a string"'), 400, 'BAD_REQUEST');
  });
});

describe('security headers', () => {
  test('every answer, success or error, carries the API security headers', async () => {
    const expected = {
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
      'x-frame-options': 'DENY',
      'referrer-policy': 'no-referrer',
      'cross-origin-resource-policy': 'same-origin',
    };
    const answers = [await gate.get('/api/health'), await gate.get('/nope'), await gate.post('/api/login', { account: 'a', password: 'x'.repeat(4000) })];
    assert.deepEqual(answers.map((r) => r.status), [200, 404, 413]);
    for (const res of answers) {
      for (const [name, value] of Object.entries(expected)) assert.equal(res.headers.get(name), value, `${res.status} ${name}`);
      assert.equal(res.headers.get('x-powered-by'), null);
    }
  });
});

describe('field validation', () => {
  test('register with nothing lists every required field', async () => {
    const error = expectError(await gate.post('/api/register', {}), 400, 'VALIDATION_FAILED');
    assert.deepEqual(issueFields(error).sort(), ['code', 'email', 'name', 'password']);
    for (const d of error.details as { message: string }[]) assert.equal(d.message, 'is required');
  });

  test('each register field is checked on its own', async () => {
    const valid = { email: freshEmail(), code: '123456', name: 'valid_name', password: GOOD_PASSWORD, nickname: 'Nick' };
    const cases: [string, Record<string, unknown>][] = [
      ['email', { email: 'not-an-address' }],
      ['email', { email: 42 }],
      ['email', { email: `${'a'.repeat(250)}@example.com` }],
      ['code', { code: '12345' }],
      ['code', { code: 'abcdef' }],
      ['code', { code: 123456 }],
      ['name', { name: 'ab' }],
      ['name', { name: 'x'.repeat(33) }],
      ['name', { name: 'has space' }],
      ['name', { name: 'ümlaut' }],
      ['name', { name: null }],
      ['password', { password: '' }],
      ['password', { password: 'x'.repeat(1025) }],
      ['nickname', { nickname: 'n'.repeat(65) }],
      ['nickname', { nickname: 'bell\u0007' }],
      ['nickname', { nickname: 7 }],
    ];
    for (const [field, change] of cases) {
      const error = expectError(await gate.post('/api/register', { ...valid, ...change }), 400, 'VALIDATION_FAILED');
      assert.deepEqual(issueFields(error), [field], JSON.stringify(change));
    }
  });

  test('verify-code, reset-password and login validate their fields', async () => {
    assert.deepEqual(issueFields(expectError(await gate.post('/api/verify-code', { email: 'x@example.com', purpose: 'login' }), 400, 'VALIDATION_FAILED')), ['purpose']);
    assert.deepEqual(issueFields(expectError(await gate.post('/api/verify-code', { email: 'x@', purpose: 'reset' }), 400, 'VALIDATION_FAILED')), ['email']);
    assert.deepEqual(issueFields(expectError(await gate.post('/api/reset-password', { email: 'x@example.com', password: GOOD_PASSWORD }), 400, 'VALIDATION_FAILED')), ['code']);
    assert.deepEqual(issueFields(expectError(await gate.post('/api/login', { account: '   ', password: 'x' }), 400, 'VALIDATION_FAILED')), ['account']);
    assert.deepEqual(issueFields(expectError(await gate.post('/api/login', { account: 'someone' }), 400, 'VALIDATION_FAILED')), ['password']);
  });

  test('password rules: WEAK_PASSWORD names every broken rule', async () => {
    const base = { email: freshEmail(), code: '123456', name: 'rules_user' };
    const weak: [string, RegExp][] = [
      ['Sh0rt!', /at least 8/],
      ['alllowercaseletters', /mix at least two/],
      ['1234567890', /mix at least two/],
      ['Rules_User-2024', /user name/],
      [`Aa1${'x'.repeat(126)}`, /at most 128/],
      ['Tab\there-123', /control characters/],
    ];
    for (const [password, rule] of weak) {
      const error = expectError(await gate.post('/api/register', { ...base, password }), 400, 'WEAK_PASSWORD');
      const details = error.details as { field: string; message: string }[];
      assert.ok(details.every((d) => d.field === 'password'));
      assert.ok(details.some((d) => rule.test(d.message)), `${password}: ${JSON.stringify(details)}`);
    }
    // Weak password together with another bad field: one VALIDATION_FAILED listing both.
    const both = expectError(await gate.post('/api/register', { ...base, name: '!', password: 'short' }), 400, 'VALIDATION_FAILED');
    assert.deepEqual(issueFields(both).sort(), ['name', 'password']);
    // Exactly 8 and exactly 128 characters with two classes are fine (fails later, on the code).
    for (const password of ['abcdefg1', `A${'b'.repeat(127)}`]) {
      expectError(await gate.post('/api/register', { ...base, password }), 400, 'CODE_INVALID');
    }
  });
});

describe('verify-code', () => {
  test('passes the request on and answers the code lifetime; the mail arrives', async () => {
    const email = freshEmail('vc');
    const since = backing.sink.messages.length;
    const res = await gate.post('/api/verify-code', { email: email.toUpperCase(), purpose: 'register' });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.body, { sent: true, ttlSec: backing.config.verify.codeTtlSec, resendAfterSec: backing.config.verify.resendIntervalSec });
    await backing.sink.waitForMail(email, 10000, since);
  });

  test('the cooldown comes back as 429 CODE_COOLDOWN with Retry-After', async () => {
    const email = freshEmail('cd');
    assert.equal((await gate.post('/api/verify-code', { email, purpose: 'reset' })).status, 200);
    const res = await gate.post('/api/verify-code', { email, purpose: 'reset' });
    const error = expectError(res, 429, 'CODE_COOLDOWN');
    const retry = (error.details as { retryAfterSec: number }).retryAfterSec;
    assert.ok(retry >= 1 && retry <= backing.config.verify.resendIntervalSec);
    assert.equal(res.headers.get('retry-after'), String(retry));
  });

  test('X-Forwarded-For is ignored by default and used (one hop) with trust_proxy', async () => {
    const spoof = '192.0.2.77';
    const before = await backing.env.redis.zcard(VerifyKeys.ipWindow('127.0.0.1'));
    await gate.post('/api/verify-code', { email: freshEmail('xff'), purpose: 'register' }, { 'x-forwarded-for': spoof });
    assert.equal(await backing.env.redis.zcard(VerifyKeys.ipWindow(spoof)), 0, 'spoofed header was trusted');
    assert.equal(await backing.env.redis.zcard(VerifyKeys.ipWindow('127.0.0.1')), before + 1, 'the socket address is used');

    const proxied = await startGate(backing, { trustProxy: true });
    try {
      // The client wrote 10.9.9.9 itself; the proxy appended the real peer 192.0.2.78.
      await proxied.post('/api/verify-code', { email: freshEmail('xff'), purpose: 'register' }, { 'x-forwarded-for': '10.9.9.9, 192.0.2.78' });
      assert.equal(await backing.env.redis.zcard(VerifyKeys.ipWindow('192.0.2.78')), 1);
      assert.equal(await backing.env.redis.zcard(VerifyKeys.ipWindow('10.9.9.9')), 0);
    } finally {
      await proxied.stop();
    }
  });
});

describe('health and backends', () => {
  test('GET /api/health reports MySQL and Redis reachable', async () => {
    const res = await gate.get('/api/health');
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.ok, true);
    assert.equal(res.body.mysql, true);
    assert.equal(res.body.redis, true);
  });

  test('health is 503 UNAVAILABLE when MySQL is unreachable', async () => {
    const dead = await freePort();
    const broken = await startGate(backing, {}, { ...backing.config, mysql: { ...backing.config.mysql, port: dead } });
    try {
      const error = expectError(await broken.get('/api/health'), 503, 'UNAVAILABLE');
      assert.deepEqual(error.details, { mysql: false, redis: true });
    } finally {
      await broken.stop();
    }
  });

  test('verify-server or status-server down: 503 UNAVAILABLE', async () => {
    const dead = await freePort();
    const broken = await startGate(backing, {}, { ...backing.config, verify: { ...backing.config.verify, port: dead }, status: { ...backing.config.status, port: dead } });
    try {
      expectError(await broken.post('/api/verify-code', { email: freshEmail(), purpose: 'register' }), 503, 'UNAVAILABLE');
      expectError(await broken.post('/api/register', { email: freshEmail(), code: '123456', name: 'nobody_here', password: GOOD_PASSWORD }), 503, 'UNAVAILABLE');
    } finally {
      await broken.stop();
    }
  });
});
