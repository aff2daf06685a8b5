/**
 * Accounts through the gate: registration, login (with a real status-server), password reset, limits.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { RowDataPacket } from 'mysql2';
import { parseOptions } from '@node-rs/argon2';
import { RedisKeys, unary, type ValidateTokenReply__Output } from '@parley/common';
import { PasswordHasher, UserRepository } from '../src/index';
import { Backing, CHAT1, codeFor, expectError, freshEmail, GOOD_PASSWORD, registerUser, startGate, unique, type Gate, type HttpResult } from './support';

let backing: Backing;
let gate: Gate;

before(async () => {
  // No resend cooldown here (a user asks for a reset code right after the sign-up code); gate-http tests it.
  backing = await Backing.start({ verify: { resendIntervalSec: 0, hourlyLimitPerIp: 100000 } });
  // Generous per-IP limit here; the limits have their own gates below.
  gate = await startGate(backing, { loginLimitPerIp: 10000 });
});

after(async () => {
  await gate?.stop();
  await backing?.stop();
});

async function userRow(uid: number): Promise<RowDataPacket | undefined> {
  const [rows] = await backing.env.pool.query<RowDataPacket[]>('SELECT * FROM users WHERE id = ?', [uid]);
  return rows[0];
}

async function tokenValid(uid: number, token: string): Promise<boolean> {
  const reply = await unary<ValidateTokenReply__Output>((o, cb) => backing.statusClient.ValidateToken({ uid, token }, o, cb));
  return reply.valid;
}

function login(g: Gate, account: string, password: string, headers: Record<string, string> = {}): Promise<HttpResult> {
  return g.post('/api/login', { account, password }, headers);
}

/** No private field anywhere in an answer. */
function assertNoSecrets(res: HttpResult, email?: string): void {
  assert.ok(!/password|hash|argon2/i.test(res.text), `secret-looking field in ${res.text}`);
  if (email) assert.ok(!res.text.toLowerCase().includes(email.toLowerCase()), 'e-mail address in the answer');
}

describe('register', () => {
  test('the whole flow: code by mail → 201 with public fields only; argon2id hash stored', async () => {
    const name = unique('Reg_');
    const email = freshEmail(name).replace('example.test', 'EXAMPLE.test');
    const code = await codeFor(gate, backing, email.toLowerCase());
    const res = await gate.post('/api/register', { email, code, name, password: GOOD_PASSWORD, nickname: '  Réka 🌷 ' });
    assert.equal(res.status, 201, res.text);
    assert.deepEqual(Object.keys(res.body).sort(), ['name', 'nickname', 'uid']);
    assert.equal(res.body.name, name);
    assert.equal(res.body.nickname, 'Réka 🌷');
    assertNoSecrets(res, email);

    const row = await userRow(res.body.uid as number);
    assert.ok(row);
    assert.equal(row.email, email.toLowerCase());
    const hash = String(row.password_hash);
    assert.match(hash, /^\$argon2id\$v=19\$/);
    const params = parseOptions(hash);
    assert.equal(params.memoryCost, backing.config.gate.hashMemoryKib);
    assert.equal(params.timeCost, backing.config.gate.hashTimeCost);
    assert.equal(params.parallelism, 1);
    assert.ok(!hash.includes(GOOD_PASSWORD));
    // The code was consumed.
    expectError(await gate.post('/api/register', { email, code, name: unique('again'), password: GOOD_PASSWORD }), 400, 'CODE_INVALID');
  });

  test('the nickname defaults to the name', async () => {
    const user = await registerUser(gate, backing);
    assert.equal(user.nickname, user.name);
  });

  test('a wrong code is refused and no user is created', async () => {
    const email = freshEmail('wrongcode');
    const code = await codeFor(gate, backing, email);
    const bad = String((Number(code) + 1) % 1_000_000).padStart(6, '0');
    const name = unique('nocode');
    const error = expectError(await gate.post('/api/register', { email, code: bad, name, password: GOOD_PASSWORD }), 400, 'CODE_INVALID');
    assert.deepEqual(error.details, { attemptsLeft: backing.config.verify.maxAttempts - 1 });
    assert.equal(await new UserRepository(backing.env.pool).nameTaken(name), false);
    // A code for resetting is not a code for registering.
    const resetCode = await codeFor(gate, backing, freshEmail('rc'), 'reset');
    expectError(await gate.post('/api/register', { email, code: resetCode, name, password: GOOD_PASSWORD }), 400, 'CODE_INVALID');
  });

  test('a taken name is NAME_TAKEN (any letter case) and does not use up the code', async () => {
    const first = await registerUser(gate, backing);
    const email = freshEmail('second');
    const code = await codeFor(gate, backing, email);
    expectError(await gate.post('/api/register', { email, code, name: first.name.toUpperCase(), password: GOOD_PASSWORD }), 409, 'NAME_TAKEN');
    const ok = await gate.post('/api/register', { email, code, name: unique('other'), password: GOOD_PASSWORD });
    assert.equal(ok.status, 201, ok.text);
  });

  test('a taken e-mail address is EMAIL_TAKEN, distinct from NAME_TAKEN', async () => {
    // The address belongs to an account created directly in the database, so its first code is fresh.
    const email = freshEmail('taken');
    const hasher = new PasswordHasher({ memoryCost: backing.config.gate.hashMemoryKib, timeCost: backing.config.gate.hashTimeCost });
    await new UserRepository(backing.env.pool).insert({ name: unique('owner'), email, passwordHash: await hasher.hash(GOOD_PASSWORD), nickname: '' });
    const code = await codeFor(gate, backing, email);
    expectError(await gate.post('/api/register', { email: email.toUpperCase(), code, name: unique('thief'), password: GOOD_PASSWORD }), 409, 'EMAIL_TAKEN');
  });

  test('a duplicate-key race maps to NAME_TAKEN / EMAIL_TAKEN', async () => {
    const repo = new UserRepository(backing.env.pool);
    const name = unique('race');
    const email = freshEmail('race');
    await repo.insert({ name, email, passwordHash: 'x', nickname: '' });
    await assert.rejects(repo.insert({ name: name.toUpperCase(), email: freshEmail(), passwordHash: 'x', nickname: '' }), { code: 'NAME_TAKEN' });
    await assert.rejects(repo.insert({ name: unique('race'), email, passwordHash: 'x', nickname: '' }), { code: 'EMAIL_TAKEN' });
    // Two registrations racing for one name: exactly one wins.
    const contested = unique('contest');
    const emails = [freshEmail('c1'), freshEmail('c2')];
    const codes = await Promise.all(emails.map((e) => codeFor(gate, backing, e)));
    const results = await Promise.all(emails.map((e, i) => gate.post('/api/register', { email: e, code: codes[i], name: contested, password: GOOD_PASSWORD })));
    assert.deepEqual(results.map((r) => r.status).sort(), [201, 409]);
    expectError(results.find((r) => r.status === 409) as HttpResult, 409, 'NAME_TAKEN');
  });
});

describe('login', () => {
  test('by name or e-mail: a valid token and the registered chat server; public fields only', async () => {
    const user = await registerUser(gate, backing);
    for (const account of [user.name, user.name.toUpperCase(), user.email.toUpperCase()]) {
      const res = await login(gate, account, user.password);
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(Object.keys(res.body).sort(), ['host', 'serverId', 'tcpPort', 'token', 'tokenTtlSec', 'uid']);
      assert.equal(res.body.uid, user.uid);
      assert.equal(res.body.serverId, CHAT1.id);
      assert.equal(res.body.host, CHAT1.host);
      assert.equal(res.body.tcpPort, CHAT1.tcpPort);
      assert.equal(res.body.tokenTtlSec, backing.config.status.tokenTtlSec);
      assert.equal(await tokenValid(user.uid, res.body.token as string), true);
      assertNoSecrets(res, user.email);
    }
  });

  test('wrong password and unknown account give the same 401 INVALID_CREDENTIALS', async () => {
    const user = await registerUser(gate, backing);
    const wrong = expectError(await login(gate, user.name, 'Not-the-password-1'), 401, 'INVALID_CREDENTIALS');
    const unknown = expectError(await login(gate, unique('ghost'), 'Not-the-password-1'), 401, 'INVALID_CREDENTIALS');
    const unknownEmail = expectError(await login(gate, freshEmail('ghost'), 'Not-the-password-1'), 401, 'INVALID_CREDENTIALS');
    assert.deepEqual(wrong, unknown);
    assert.deepEqual(wrong, unknownEmail);
  });

  test('an unknown account still costs one hash verification', async () => {
    // Expensive hashes so the difference between "verified" and "skipped" dwarfs the noise.
    const slow = await startGate(backing, { hashMemoryKib: 65536, hashTimeCost: 3, loginLimitPerIp: 10000 });
    try {
      const user = await registerUser(slow, backing);
      const time = async (account: string) => {
        const t0 = process.hrtime.bigint();
        expectError(await login(slow, account, 'Not-the-password-1'), 401, 'INVALID_CREDENTIALS');
        return Number(process.hrtime.bigint() - t0) / 1e6;
      };
      const known: number[] = [];
      const unknown: number[] = [];
      for (let i = 0; i < 3; i++) {
        known.push(await time(user.name));
        unknown.push(await time(unique('nobody')));
      }
      const median = (xs: number[]) => xs.sort((a, b) => a - b)[1] as number;
      assert.ok(median(known) > 20, `a real verification takes time (${median(known)} ms)`);
      assert.ok(median(unknown) > median(known) * 0.5, `unknown ${median(unknown)} ms vs known ${median(known)} ms`);
    } finally {
      await slow.stop();
    }
  });

  test('no live chat server: 503 NO_CHAT_SERVER; back when one reports', async () => {
    const user = await registerUser(gate, backing);
    await unary((o, cb) => backing.statusClient.Deregister({ id: CHAT1.id }, o, cb));
    try {
      expectError(await login(gate, user.name, user.password), 503, 'NO_CHAT_SERVER');
    } finally {
      await backing.reportChatServer();
    }
    assert.equal((await login(gate, user.name, user.password)).status, 200);
  });

  test('names the WebSocket ports (wsPort, fileWsPort) of servers that listen for WebSocket', async () => {
    const user = await registerUser(gate, backing);
    const file1 = { id: 'file1', host: '127.0.0.1', tcpPort: 7101, wsPort: 7102 };
    await unary((o, cb) => backing.statusClient.ReportLoad({ server: { ...CHAT1, wsPort: 7003 }, connections: 0 }, o, cb));
    await unary((o, cb) => backing.statusClient.ReportFileLoad({ server: file1, connections: 0 }, o, cb));
    try {
      const res = await login(gate, user.name, user.password);
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(
        [res.body.tcpPort, res.body.wsPort, res.body.fileServerId, res.body.fileHost, res.body.filePort, res.body.fileWsPort],
        [CHAT1.tcpPort, 7003, file1.id, file1.host, file1.tcpPort, file1.wsPort],
      );
    } finally {
      await unary((o, cb) => backing.statusClient.DeregisterFileServer({ id: file1.id }, o, cb));
      await backing.reportChatServer();
    }
    const without = await login(gate, user.name, user.password);
    assert.equal('wsPort' in without.body, false, 'no WebSocket port: the field is left out');
  });
});

describe('session (a chat server again from a valid token, without the password)', () => {
  test('answers like login with a new token; the old token stops working', async () => {
    const user = await registerUser(gate, backing);
    const first = await login(gate, user.name, user.password);
    assert.equal(first.status, 200, first.text);
    const oldToken = first.body.token as string;
    const res = await gate.post('/api/session', {}, { authorization: `Bearer ${user.uid}.${oldToken}` });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(Object.keys(res.body).sort(), Object.keys(first.body).sort());
    assert.equal(res.body.uid, user.uid);
    assert.equal(res.body.serverId, CHAT1.id);
    assert.equal(res.body.tcpPort, CHAT1.tcpPort);
    assert.notEqual(res.body.token, oldToken);
    assert.equal(await tokenValid(user.uid, res.body.token as string), true);
    assert.equal(await tokenValid(user.uid, oldToken), false);
    assertNoSecrets(res, user.email);
  });

  test('no token, a refused token or the token under another uid: 401, no new token', async () => {
    const user = await registerUser(gate, backing);
    const token = (await login(gate, user.name, user.password)).body.token as string;
    expectError(await gate.post('/api/session', {}), 401, 'UNAUTHENTICATED');
    expectError(await gate.post('/api/session', {}, { authorization: `Bearer ${user.uid}.not-the-token` }), 401, 'TOKEN_INVALID');
    expectError(await gate.post('/api/session', {}, { authorization: `Bearer ${user.uid + 1}.${token}` }), 401, 'TOKEN_INVALID');
    assert.equal(await tokenValid(user.uid, token), true, 'the refused calls left the token alone');
  });
});

describe('reset-password', () => {
  test('changes the password, invalidates the login token and answers like for an unknown address', async () => {
    const user = await registerUser(gate, backing);
    const first = await login(gate, user.name, user.password);
    assert.equal(first.status, 200);
    assert.equal(await tokenValid(user.uid, first.body.token as string), true);

    const newPassword = 'brand-New-pass-42';
    const code = await codeFor(gate, backing, user.email, 'reset');
    const known = await gate.post('/api/reset-password', { email: user.email, code, password: newPassword });
    const ghostEmail = freshEmail('ghost');
    const ghostCode = await codeFor(gate, backing, ghostEmail, 'reset');
    const unknown = await gate.post('/api/reset-password', { email: ghostEmail, code: ghostCode, password: newPassword });
    assert.equal(known.status, 200, known.text);
    assert.equal(unknown.status, known.status);
    assert.deepEqual(unknown.body, known.body);
    assert.deepEqual(known.body, { ok: true });

    assert.equal(await backing.env.redis.exists(RedisKeys.token(user.uid)), 0, 'token deleted');
    assert.equal(await tokenValid(user.uid, first.body.token as string), false);
    expectError(await login(gate, user.name, user.password), 401, 'INVALID_CREDENTIALS');
    assert.equal((await login(gate, user.name, newPassword)).status, 200);
  });

  test('a wrong code is refused the same way for known and unknown addresses; the password stays', async () => {
    const user = await registerUser(gate, backing);
    const ghost = freshEmail('ghost');
    await codeFor(gate, backing, user.email, 'reset');
    await codeFor(gate, backing, ghost, 'reset');
    const a = expectError(await gate.post('/api/reset-password', { email: user.email, code: '000000', password: 'another-Pass-1' }), 400, 'CODE_INVALID');
    const b = expectError(await gate.post('/api/reset-password', { email: ghost, code: '000000', password: 'another-Pass-1' }), 400, 'CODE_INVALID');
    // (A code of 000000 could be right one time in a million; the equality below would then fail loudly.)
    assert.deepEqual(a, b);
    assert.equal((await login(gate, user.name, user.password)).status, 200);
  });

  test('the new password must follow the rules', async () => {
    expectError(await gate.post('/api/reset-password', { email: freshEmail(), code: '123456', password: 'weak' }), 400, 'WEAK_PASSWORD');
  });
});
