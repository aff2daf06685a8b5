/**
 * The gate's abuse limits around passwords: login attempts per IP, failed logins per (account, IP) with an
 * account-wide ceiling, logins in progress never counted (also across a stop), a bound on concurrent
 * hashing, weak stored hashes upgraded, registration attempts per IP.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { hash as argon2Hash, parseOptions, verify as argon2Verify } from '@node-rs/argon2';
import type { RowDataPacket } from 'mysql2';
import { GateKeys, LoginFailureKeys, PasswordHasher, UserRepository } from '../src/index';
import { Backing, codeFor, expectError, freshEmail, GOOD_PASSWORD, startGate, unique, type Gate, type HttpResult } from './support';

let backing: Backing;

before(async () => {
  backing = await Backing.start({ verify: { resendIntervalSec: 0, hourlyLimitPerIp: 100000 } });
});

after(async () => {
  await backing?.stop();
});

const WRONG = 'Wrong-pass-123';
const from = (ip: string) => ({ 'x-forwarded-for': ip });

interface TestUser {
  uid: number;
  name: string;
  email: string;
}

/** A user written straight to the database, its hash made at `cost` (default: the configured one). */
async function createUser(cost = { memoryCost: backing.config.gate.hashMemoryKib, timeCost: backing.config.gate.hashTimeCost }, passwordHash?: string): Promise<TestUser> {
  const name = unique('lim');
  const email = freshEmail(name);
  const stored = passwordHash ?? (await new PasswordHasher(cost).hash(GOOD_PASSWORD));
  const uid = await new UserRepository(backing.env.pool).insert({ name, email, passwordHash: stored, nickname: name });
  return { uid, name, email };
}

function login(g: Gate, account: string, password: string, ip?: string): Promise<HttpResult> {
  return g.post('/api/login', { account, password }, ip ? from(ip) : {});
}

async function storedHash(uid: number): Promise<string> {
  const [rows] = await backing.env.pool.query<RowDataPacket[]>('SELECT password_hash FROM users WHERE id = ?', [uid]);
  return String(rows[0]?.password_hash);
}

async function withGate(overrides: Parameters<typeof startGate>[1], body: (g: Gate) => Promise<void>): Promise<void> {
  const g = await startGate(backing, { trustProxy: true, loginLimitPerIp: 10000, ...overrides });
  try {
    await body(g);
  } finally {
    await g.stop();
  }
}

describe('login attempts per client IP', () => {
  test('per minute: 429 RATE_LIMITED with Retry-After, other IPs unaffected', async () => {
    await withGate({ loginLimitPerIp: 3 }, async (g) => {
      const user = await createUser();
      const ip = '198.51.100.10';
      for (let i = 0; i < 2; i++) expectError(await login(g, unique('x'), 'Whatever-123', ip), 401, 'INVALID_CREDENTIALS');
      assert.equal((await login(g, user.name, GOOD_PASSWORD, ip)).status, 200);
      const res = await login(g, user.name, GOOD_PASSWORD, ip);
      const error = expectError(res, 429, 'RATE_LIMITED');
      const retry = Number(res.headers.get('retry-after'));
      assert.ok(retry >= 1 && retry <= 60, `Retry-After ${retry}`);
      assert.deepEqual(error.details, { retryAfterSec: retry });
      assert.equal((await login(g, user.name, GOOD_PASSWORD, '198.51.100.11')).status, 200);
    });
  });

  test('IPv6 clients count by /64', async () => {
    await withGate({ loginLimitPerIp: 2 }, async (g) => {
      for (const ip of ['2001:db8:5:1::1', '2001:db8:5:1:ffff::2']) expectError(await login(g, unique('x'), 'Whatever-123', ip), 401, 'INVALID_CREDENTIALS');
      expectError(await login(g, unique('x'), 'Whatever-123', '2001:db8:5:1::3'), 429, 'RATE_LIMITED');
      expectError(await login(g, unique('x'), 'Whatever-123', '2001:db8:5:2::1'), 401, 'INVALID_CREDENTIALS');
    });
  });

  test('concurrent attempts cannot exceed the limit', async () => {
    await withGate({ loginLimitPerIp: 5 }, async (g) => {
      const results = await Promise.all(Array.from({ length: 20 }, () => login(g, unique('y'), 'Whatever-123', '198.51.100.20')));
      assert.equal(results.filter((r) => r.status === 401).length, 5);
      assert.equal(results.filter((r) => r.status === 429).length, 15);
    });
  });
});

describe('failed logins per (account, client IP), with an account-wide ceiling', () => {
  test('failures from one IP lock that IP out of the account, not the owner on another IP', async () => {
    await withGate({ loginLimitPerAccountIp: 3 }, async (g) => {
      const user = await createUser();
      const attacker = '203.0.113.50';
      for (let i = 0; i < 3; i++) expectError(await login(g, user.name, WRONG, attacker), 401, 'INVALID_CREDENTIALS');
      // Past the limit right and wrong passwords get the same answer, so it reveals nothing.
      const res = await login(g, user.name, GOOD_PASSWORD, attacker);
      expectError(res, 429, 'RATE_LIMITED');
      const retry = Number(res.headers.get('retry-after'));
      assert.ok(retry > 60 && retry <= 900, `Retry-After ${retry}`);
      expectError(await login(g, user.name, WRONG, attacker), 429, 'RATE_LIMITED');
      // The owner, elsewhere, by name or by e-mail.
      assert.equal((await login(g, user.name, GOOD_PASSWORD, '198.51.100.77')).status, 200);
      assert.equal((await login(g, user.email.toUpperCase(), GOOD_PASSWORD, '198.51.100.78')).status, 200);
      // An IPv6 attacker is one /64, whichever address it uses.
      for (let i = 0; i < 3; i++) expectError(await login(g, user.name, WRONG, `2001:db8:66:1::${i + 1}`), 401, 'INVALID_CREDENTIALS');
      expectError(await login(g, user.name, GOOD_PASSWORD, '2001:db8:66:1::99'), 429, 'RATE_LIMITED');
    });
  });

  test('the name and the e-mail address are one account', async () => {
    await withGate({ loginLimitPerAccountIp: 3 }, async (g) => {
      const user = await createUser();
      const ip = '203.0.113.51';
      expectError(await login(g, user.name, WRONG, ip), 401, 'INVALID_CREDENTIALS');
      expectError(await login(g, user.email, WRONG, ip), 401, 'INVALID_CREDENTIALS');
      expectError(await login(g, user.name.toUpperCase(), WRONG, ip), 401, 'INVALID_CREDENTIALS');
      expectError(await login(g, user.email, GOOD_PASSWORD, ip), 429, 'RATE_LIMITED');
    });
  });

  test('guessing spread over many IPs meets the account-wide ceiling', async () => {
    await withGate({ loginLimitPerAccountIp: 2, loginLimitPerAccount: 5 }, async (g) => {
      const user = await createUser();
      for (const [ip, n] of [['203.0.113.61', 2], ['203.0.113.62', 2], ['203.0.113.63', 1]] as const) {
        for (let i = 0; i < n; i++) expectError(await login(g, user.name, WRONG, ip), 401, 'INVALID_CREDENTIALS');
      }
      expectError(await login(g, user.name, GOOD_PASSWORD, '198.51.100.99'), 429, 'RATE_LIMITED');
      const other = await createUser();
      assert.equal((await login(g, other.name, GOOD_PASSWORD, '198.51.100.99')).status, 200);
    });
  });

  test('unknown accounts are limited the same way and answer the same', async () => {
    await withGate({ loginLimitPerAccountIp: 2 }, async (g) => {
      const known = await createUser();
      const answers = async (account: string) => {
        const out: string[] = [];
        for (let i = 0; i < 3; i++) out.push(`${(await login(g, account, WRONG, '203.0.113.70')).status}`);
        return out;
      };
      assert.deepEqual(await answers(known.name), ['401', '401', '429']);
      assert.deepEqual(await answers(unique('ghost')), ['401', '401', '429']);
      assert.deepEqual(await answers(freshEmail('ghost')), ['401', '401', '429']);
    });
  });

  test('a password reset clears the account\'s failures', async () => {
    await withGate({ loginLimitPerAccountIp: 2 }, async (g) => {
      const user = await createUser();
      const ip = '203.0.113.80';
      for (let i = 0; i < 2; i++) expectError(await login(g, user.name, WRONG, ip), 401, 'INVALID_CREDENTIALS');
      expectError(await login(g, user.name, GOOD_PASSWORD, ip), 429, 'RATE_LIMITED');
      const code = await codeFor(g, backing, user.email, 'reset');
      assert.equal((await g.post('/api/reset-password', { email: user.email, code, password: 'brand-New-pass-7' })).status, 200);
      assert.equal(await backing.env.redis.exists(LoginFailureKeys.account({ uid: user.uid })), 0);
      assert.equal((await login(g, user.name, 'brand-New-pass-7', ip)).status, 200);
    });
  });
});

describe('logins in progress are never failures', () => {
  test('100 concurrent logins with the right password all succeed under the default limits', async () => {
    await withGate({}, async (g) => {
      const user = await createUser();
      const results = await Promise.all(Array.from({ length: 100 }, () => login(g, user.name, GOOD_PASSWORD)));
      assert.deepEqual([...new Set(results.map((r) => r.status))], [200]);
      assert.equal(await backing.env.redis.exists(LoginFailureKeys.account({ uid: user.uid })), 0);
    });
  });

  test('a gate stopped in the middle of a login flood leaves nothing counted against the account', async () => {
    const slow = { memoryCost: 65536, timeCost: 3 };
    const FLOOD = 120;
    const user = await createUser(slow);
    const g = await startGate(backing, { trustProxy: true, loginLimitPerIp: 10000, loginLimitPerAccount: 1000, hashMemoryKib: slow.memoryCost, hashTimeCost: slow.timeCost });
    const attempts = GateKeys.loginIp('127.0.0.1');
    const before = Number(await backing.env.redis.get(attempts));
    const flood = Promise.allSettled(Array.from({ length: FLOOD }, () => login(g, user.name, GOOD_PASSWORD)));
    // Stop once every login has reached the gate (each counts one attempt first): most are still hashing.
    for (let i = 0; i < 200 && Number(await backing.env.redis.get(attempts)) < before + FLOOD; i++) await new Promise((r) => setTimeout(r, 25));
    await g.stop();
    const answers = (await flood).map((r) => (r.status === 'fulfilled' ? r.value.status : 0));
    assert.ok(answers.every((s) => s === 200 || s === 503 || s === 0), `answers: ${[...new Set(answers)].join(', ')}`);
    assert.equal(await backing.env.redis.exists(LoginFailureKeys.account({ uid: user.uid })), 0);
    // A restarted gate with the default limits lets the owner in at once.
    await withGate({}, async (again) => {
      assert.equal((await login(again, user.name, GOOD_PASSWORD)).status, 200);
    });
  });
});

describe('concurrent password hashes are bounded', () => {
  test('past hash_concurrency running and hash_queue_limit waiting: 429 RATE_LIMITED with Retry-After at once', async () => {
    await withGate({ hashConcurrency: 1, hashQueueLimit: 2, hashMemoryKib: 65536, hashTimeCost: 3 }, async (g) => {
      const results = await Promise.all(Array.from({ length: 12 }, () => login(g, unique('flood'), WRONG)));
      const statuses = results.map((r) => r.status);
      const refused = results.filter((r) => r.status === 429);
      assert.ok(statuses.filter((s) => s === 401).length >= 3, statuses.join());
      assert.ok(refused.length >= 6, statuses.join());
      for (const r of refused) {
        const error = expectError(r, 429, 'RATE_LIMITED');
        assert.equal(r.headers.get('retry-after'), String((error.details as { retryAfterSec: number }).retryAfterSec));
      }
    });
  });
});

describe('stored hashes weaker than the configured cost', () => {
  test('are replaced at the next successful login; stronger ones are left alone', async () => {
    await withGate({}, async (g) => {
      const weak = await createUser(undefined, await argon2Hash(GOOD_PASSWORD, { memoryCost: 4096, timeCost: 1, parallelism: 1 }));
      assert.equal((await login(g, weak.name, GOOD_PASSWORD)).status, 200);
      const upgraded = await storedHash(weak.uid);
      const params = parseOptions(upgraded);
      assert.deepEqual([params.memoryCost, params.timeCost], [backing.config.gate.hashMemoryKib, backing.config.gate.hashTimeCost]);
      assert.equal(await argon2Verify(upgraded, GOOD_PASSWORD), true);
      assert.equal((await login(g, weak.name, GOOD_PASSWORD)).status, 200);
      assert.equal(await storedHash(weak.uid), upgraded, 'upgraded once');
      // A wrong password upgrades nothing.
      const other = await createUser(undefined, await argon2Hash(GOOD_PASSWORD, { memoryCost: 4096, timeCost: 1, parallelism: 1 }));
      const before = await storedHash(other.uid);
      expectError(await login(g, other.name, WRONG), 401, 'INVALID_CREDENTIALS');
      assert.equal(await storedHash(other.uid), before);
      // More memory than configured (and as many iterations) is not weaker.
      const strong = await createUser({ memoryCost: backing.config.gate.hashMemoryKib * 2, timeCost: backing.config.gate.hashTimeCost });
      const strongHash = await storedHash(strong.uid);
      assert.equal((await login(g, strong.name, GOOD_PASSWORD)).status, 200);
      assert.equal(await storedHash(strong.uid), strongHash);
    });
  });
});

describe('registration attempts per client IP', () => {
  test('NAME_TAKEN cannot be asked quickly: past register_limit_per_ip, 429 RATE_LIMITED', async () => {
    await withGate({ registerLimitPerIp: 3 }, async (g) => {
      const taken = await createUser();
      const attempt = (ip: string) => g.post('/api/register', { email: freshEmail('enum'), code: '123456', name: taken.name, password: GOOD_PASSWORD }, from(ip));
      for (let i = 0; i < 3; i++) expectError(await attempt('203.0.113.90'), 409, 'NAME_TAKEN');
      const res = await attempt('203.0.113.90');
      expectError(res, 429, 'RATE_LIMITED');
      assert.ok(Number(res.headers.get('retry-after')) > 3000, `Retry-After ${res.headers.get('retry-after')}`);
      expectError(await attempt('203.0.113.91'), 409, 'NAME_TAKEN');
    });
  });
});
