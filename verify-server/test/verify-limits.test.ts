/**
 * Abuse limits of the verify-server beyond one code: the wrong-code budget per address across codes, the
 * per-IP cap by IPv6 /64, and Redis Cluster safety (every script keeps to one hash slot).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestEnv, extractCode, keySlot, watchScriptKeys, type TestEnv } from '@parley/common/testing';
import { SmtpSink } from '@parley/common/testing/smtp-sink';
import { VerifyKeys } from '../src/index';
import { freshEmail, freshIp, rejectsWith, startHarness, type VerifyHarness } from './support';

let env: TestEnv;
let sink: SmtpSink;

before(async () => {
  sink = new SmtpSink();
  await sink.start();
  env = await createTestEnv();
});

after(async () => {
  await sink?.stop();
  await env?.cleanup();
});

async function mailedCode(h: VerifyHarness, email: string, purpose: 'REGISTER' | 'RESET' = 'REGISTER'): Promise<string> {
  const since = sink.messages.length;
  await h.getCode(email, purpose);
  const code = extractCode((await sink.waitForMail(email, 10000, since)).raw);
  assert.ok(code);
  return code;
}

const wrong = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, '0');

describe('wrong-code budget per address (verify.daily_failure_limit)', () => {
  test('a new code does not reset it: once spent, even the right code and new codes are refused for a day', async () => {
    const h = await startHarness(env.config, sink, { verify: { resendIntervalSec: 0, maxAttempts: 3, dailyFailureLimit: 4 } });
    try {
      const email = freshEmail('budget');
      const first = await mailedCode(h, email);
      await rejectsWith(h.check(email, wrong(first)), 'CODE_INVALID');
      await rejectsWith(h.check(email, wrong(first)), 'CODE_INVALID');
      // A new code (the other purpose, too) continues the same count.
      const second = await mailedCode(h, email, 'RESET');
      const err = await rejectsWith(h.check(email, wrong(second), 'RESET'), 'CODE_INVALID');
      assert.deepEqual(err.details, { attemptsLeft: 1 }, 'the budget, not the code, is what is left');
      const spent = await rejectsWith(h.check(email, wrong(second), 'RESET'), 'CODE_FAILURE_LIMIT');
      const retry = (spent.details as { retryAfterSec: number }).retryAfterSec;
      assert.ok(retry > 86_000 && retry <= 86_400, `retryAfterSec ${retry}`);
      await rejectsWith(h.check(email, second, 'RESET'), 'CODE_FAILURE_LIMIT');
      await rejectsWith(h.getCode(email), 'CODE_FAILURE_LIMIT');
      assert.equal(await env.redis.zcard(VerifyKeys.failures(email)), 4);
      // Other addresses are not affected.
      const other = freshEmail('budget-other');
      await h.check(other, await mailedCode(h, other));
    } finally {
      await h.stop();
    }
  });

  test('concurrent wrong tries cannot exceed it', async () => {
    const h = await startHarness(env.config, sink, { verify: { maxAttempts: 100, dailyFailureLimit: 3 } });
    try {
      const email = freshEmail('budget-race');
      const code = await mailedCode(h, email);
      const results = await Promise.allSettled(Array.from({ length: 20 }, () => h.check(email, wrong(code))));
      const codes = results.map((r) => (r.status === 'rejected' ? (r.reason as { code: string }).code : 'ok'));
      assert.equal(codes.filter((c) => c === 'CODE_INVALID').length, 2, codes.join());
      assert.equal(codes.filter((c) => c === 'CODE_FAILURE_LIMIT').length, 18);
      assert.equal(await env.redis.zcard(VerifyKeys.failures(email)), 3);
    } finally {
      await h.stop();
    }
  });
});

describe('per-IP cap', () => {
  test('IPv6 clients are counted by /64, so rotating addresses within it does not help', async () => {
    const h = await startHarness(env.config, sink, { verify: { hourlyLimitPerIp: 2 } });
    try {
      const net = `2001:db8:${(process.pid % 0xffff).toString(16)}:77`;
      await h.getCode(freshEmail('v6'), 'REGISTER', `${net}::1`);
      await h.getCode(freshEmail('v6'), 'REGISTER', `${net}:aaaa:bbbb:cccc:dddd`);
      const err = await rejectsWith(h.getCode(freshEmail('v6'), 'REGISTER', `${net}::2`), 'CODE_IP_LIMIT');
      assert.ok((err.details as { retryAfterSec: number }).retryAfterSec > 3500);
      // The neighbouring /64 is someone else.
      await h.getCode(freshEmail('v6'), 'REGISTER', `2001:db8:${(process.pid % 0xffff).toString(16)}:78::1`);
    } finally {
      await h.stop();
    }
  });

  test('a refusal by the IP cap takes nothing from the address (the address reservation is rolled back)', async () => {
    const h = await startHarness(env.config, sink, { verify: { hourlyLimitPerIp: 1 } });
    try {
      const ip = freshIp();
      await h.getCode(freshEmail('ip-first'), 'REGISTER', ip);
      const email = freshEmail('ip-rollback');
      await rejectsWith(h.getCode(email, 'REGISTER', ip), 'CODE_IP_LIMIT');
      assert.equal(await env.redis.exists(VerifyKeys.cooldown(email)), 0);
      assert.equal(await env.redis.zcard(VerifyKeys.emailWindow(email)), 0);
      // So the same address from another network gets its code at once.
      await h.getCode(email, 'REGISTER', freshIp());
    } finally {
      await h.stop();
    }
  });
});

describe('Redis Cluster safety', () => {
  test('the slot function matches Redis Cluster', () => {
    // Values from CLUSTER KEYSLOT of a cluster-enabled redis-server 7.
    const expected: [string, number][] = [['foo', 12182], ['bar', 5061], ['123456789', 12739], ['x{}y', 16116], ['a{b}c', 3300], ['a{{b}}c', 6215], ['parley:verify:{e:a@b.cd}:cooldown', 16179]];
    for (const [key, slot] of expected) assert.equal(keySlot(key), slot, key);
  });

  test('every script call of every flow touches keys of one hash slot', async () => {
    const watch = watchScriptKeys(env.redisPrefix);
    const h = await startHarness(env.config, sink, { verify: { resendIntervalSec: 0, hourlyLimitPerIp: 1, dailyFailureLimit: 2 } });
    try {
      const email = freshEmail('slots');
      const ip = freshIp();
      await h.getCode(email, 'REGISTER', ip);
      await rejectsWith(h.getCode(freshEmail('slots'), 'REGISTER', ip), 'CODE_IP_LIMIT');
      const code = await mailedCode(h, email, 'RESET');
      await rejectsWith(h.check(email, wrong(code), 'RESET'), 'CODE_INVALID');
      await h.check(email, code, 'RESET');
      // The budget flows (a try that spends it, one refused by it); their answers are tested above.
      const again = await mailedCode(h, email);
      await h.check(email, wrong(again)).catch(() => undefined);
      await h.check(email, again).catch(() => undefined);
      const dead = await startHarness(env.config, undefined, { smtp: { host: '127.0.0.1', port: 1 } });
      await rejectsWith(dead.getCode(freshEmail('slots-dead')), 'MAIL_FAILED').finally(() => dead.stop());
      assert.ok(watch.calls.length >= 10, `only ${watch.calls.length} script calls seen`);
      for (const keys of watch.calls) assert.equal(new Set(keys.map(keySlot)).size, 1, `keys in different slots: ${keys.join(' ')}`);
      assert.ok(watch.calls.some((k) => k.length >= 2), 'multi-key scripts were seen');
    } finally {
      await h.stop();
      watch.stop();
    }
  });
});
