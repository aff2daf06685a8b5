/**
 * The verify-server through real gRPC, with mail going to a real SMTP sink and codes in real Redis.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestEnv, extractCode, type TestEnv } from '@parley/common/testing';
import { SmtpSink } from '@parley/common/testing/smtp-sink';
import { VerifyKeys } from '../src/index';
import { freshEmail, rejectsWith, sleep, startHarness, type VerifyHarness } from './support';

let env: TestEnv;
let sink: SmtpSink;
let verify: VerifyHarness;

/** Asks for a code and reads it out of the mail that arrived at the sink. */
async function mailedCode(h: VerifyHarness, email: string, purpose: 'REGISTER' | 'RESET' = 'REGISTER'): Promise<string> {
  const since = sink.messages.length;
  await h.getCode(email, purpose);
  const mail = await sink.waitForMail(email, 10000, since);
  const code = extractCode(mail.raw);
  assert.ok(code, 'the mail carries a 6-digit code');
  return code;
}

/** A different, valid 6-digit code. */
const wrong = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, '0');

before(async () => {
  sink = new SmtpSink();
  await sink.start();
  env = await createTestEnv();
  verify = await startHarness(env.config, sink);
});

after(async () => {
  await verify?.stop();
  await sink?.stop();
  await env?.cleanup();
});

describe('GetVerifyCode and CheckCode', () => {
  test('the mail has a text and an HTML part with the code, which CheckCode accepts exactly once', async () => {
    const email = freshEmail('happy');
    const since = sink.messages.length;
    const reply = await verify.getCode(email);
    assert.equal(reply.ttlSec, env.config.verify.codeTtlSec);
    assert.equal(reply.resendAfterSec, env.config.verify.resendIntervalSec);
    const mail = await sink.waitForMail(email, 10000, since);
    assert.deepEqual(mail.to, [email]);
    assert.match(mail.raw, /Content-Type: multipart\/alternative/i);
    assert.match(mail.raw, /Content-Type: text\/plain/i);
    assert.match(mail.raw, /Content-Type: text\/html/i);
    const code = extractCode(mail.raw);
    assert.ok(code && /^\d{6}$/.test(code));
    // The code is in the body only, not the subject.
    const subject = /^Subject: (.*)$/im.exec(mail.raw)?.[1] ?? '';
    assert.ok(subject.length > 0 && !subject.includes(code), `subject: ${subject}`);

    // Redis holds a hash of it, never the code itself, with the configured lifetime.
    const stored = await env.redis.hgetall(VerifyKeys.code('register', email));
    assert.ok(stored.h && stored.h.length === 64);
    assert.ok(!Object.values(stored).some((v) => v.includes(code)), 'plaintext code stored');
    const ttl = await env.redis.pttl(VerifyKeys.code('register', email));
    assert.ok(ttl > (env.config.verify.codeTtlSec - 5) * 1000 && ttl <= env.config.verify.codeTtlSec * 1000, `ttl ${ttl}`);

    assert.deepEqual(await verify.check(email, code), { ok: true });
    await rejectsWith(verify.check(email, code), 'CODE_INVALID');
    // Never logged in SMTP mode.
    assert.ok(!verify.logs.some((l) => l.includes(code)), 'a code was logged');
  });

  test('addresses are lower-cased: mail goes to the canonical address and any spelling checks', async () => {
    const email = freshEmail('Mixed.Case').replace('example.test', 'Example.TEST');
    const canonical = email.toLowerCase();
    const since = sink.messages.length;
    await verify.getCode(`  ${email} `);
    const mail = await sink.waitForMail(canonical, 10000, since);
    assert.deepEqual(mail.to, [canonical]);
    await verify.check(email.toUpperCase(), extractCode(mail.raw) ?? '');
  });

  test('invalid addresses are refused with EMAIL_INVALID and nothing is sent', async () => {
    const since = sink.messages.length;
    for (const bad of ['', 'no-at-sign', 'a@b', 'two@@example.com', 'sp ace@example.com', '.dot@example.com', `${'x'.repeat(250)}@ex.com`, 'a@-bad-.com', 'a@example.123']) {
      await rejectsWith(verify.getCode(bad), 'EMAIL_INVALID');
    }
    await sleep(100);
    assert.equal(sink.messages.length, since);
  });

  test('an unspecified purpose is refused', async () => {
    await rejectsWith(verify.getCode(freshEmail(), 'CODE_PURPOSE_UNSPECIFIED' as 'REGISTER'), 'VALIDATION_FAILED');
  });

  test('a wrong code is refused and counted; the right code still works before the limit', async () => {
    const email = freshEmail('wrong');
    const code = await mailedCode(verify, email);
    const err = await rejectsWith(verify.check(email, wrong(code)), 'CODE_INVALID');
    assert.deepEqual(err.details, { attemptsLeft: env.config.verify.maxAttempts - 1 });
    await rejectsWith(verify.check(email, 'abc'), 'CODE_INVALID');
    assert.equal(await env.redis.hget(VerifyKeys.code('register', email), 'a'), '2');
    assert.deepEqual(await verify.check(email, code), { ok: true });
  });

  test('a code for one purpose does not work for the other', async () => {
    const email = freshEmail('purpose');
    const code = await mailedCode(verify, email, 'RESET');
    await rejectsWith(verify.check(email, code, 'REGISTER'), 'CODE_INVALID');
    await verify.check(email, code, 'RESET');
  });

  test('after maxAttempts wrong tries the code is burnt, even the right code is refused', async () => {
    const email = freshEmail('burn');
    const code = await mailedCode(verify, email);
    const max = env.config.verify.maxAttempts;
    assert.equal(max, 5);
    for (let i = 1; i < max; i++) await rejectsWith(verify.check(email, wrong(code)), 'CODE_INVALID');
    await rejectsWith(verify.check(email, wrong(code)), 'CODE_ATTEMPTS_EXCEEDED');
    await rejectsWith(verify.check(email, code), 'CODE_ATTEMPTS_EXCEEDED');
    assert.equal(await env.redis.hget(VerifyKeys.code('register', email), 'h'), null, 'the hash is gone');
  });

  test('an expired code is refused; the key lives code_ttl_sec', async () => {
    const short = await startHarness(env.config, sink, { verify: { codeTtlSec: 30 } });
    try {
      const email = freshEmail('expire');
      const code = await mailedCode(short, email);
      const key = VerifyKeys.code('register', email);
      const ttl = await env.redis.pttl(key);
      assert.ok(ttl > 25_000 && ttl <= 30_000, `ttl ${ttl}`);
      // Let Redis expire it now rather than waiting 30 s: the same mechanism, sooner.
      await env.redis.pexpire(key, 1);
      await sleep(20);
      await rejectsWith(short.check(email, code), 'CODE_INVALID');
    } finally {
      await short.stop();
    }
  });

  test('an unknown address or a never-issued code is CODE_INVALID', async () => {
    await rejectsWith(verify.check(freshEmail('never'), '123456'), 'CODE_INVALID');
  });

  test('a new code replaces the previous one', async () => {
    const h = await startHarness(env.config, sink, { verify: { resendIntervalSec: 0 } });
    try {
      const email = freshEmail('replace');
      const first = await mailedCode(h, email);
      let second = await mailedCode(h, email);
      while (second === first) second = await mailedCode(h, email);
      await rejectsWith(h.check(email, first), 'CODE_INVALID');
      await h.check(email, second);
    } finally {
      await h.stop();
    }
  });

  test('two concurrent checks of the right code: exactly one succeeds', async () => {
    const email = freshEmail('race');
    const code = await mailedCode(verify, email);
    const results = await Promise.allSettled(Array.from({ length: 8 }, () => verify.check(email, code)));
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
    for (const r of results) if (r.status === 'rejected') assert.equal((r.reason as { code: string }).code, 'CODE_INVALID');
  });
});

describe('limits', () => {
  test('cooldown: a second code within resend_interval_sec is CODE_COOLDOWN with retryAfterSec', async () => {
    const email = freshEmail('cool');
    await verify.getCode(email);
    const err = await rejectsWith(verify.getCode(email), 'CODE_COOLDOWN');
    const retry = (err.details as { retryAfterSec: number }).retryAfterSec;
    assert.ok(retry > 0 && retry <= env.config.verify.resendIntervalSec, `retryAfterSec ${retry}`);
    // The cooldown is per address, whatever the purpose.
    await rejectsWith(verify.getCode(email, 'RESET'), 'CODE_COOLDOWN');
    // Other addresses are not affected.
    await verify.getCode(freshEmail('cool-other'));
  });

  test('hourly cap per address: CODE_HOURLY_LIMIT after hourly_limit_per_email codes', async () => {
    const h = await startHarness(env.config, sink, { verify: { resendIntervalSec: 0, hourlyLimitPerEmail: 3 } });
    try {
      const email = freshEmail('hourly');
      for (let i = 0; i < 3; i++) await h.getCode(email);
      const err = await rejectsWith(h.getCode(email), 'CODE_HOURLY_LIMIT');
      const retry = (err.details as { retryAfterSec: number }).retryAfterSec;
      assert.ok(retry > 3500 && retry <= 3600, `retryAfterSec ${retry}`);
      await rejectsWith(h.getCode(email, 'RESET'), 'CODE_HOURLY_LIMIT');
    } finally {
      await h.stop();
    }
  });

  test('hourly cap per client IP: CODE_IP_LIMIT, other IPs unaffected', async () => {
    const h = await startHarness(env.config, sink, { verify: { hourlyLimitPerIp: 2 } });
    try {
      const ip = `203.0.113.${(process.pid % 200) + 1}`;
      await h.getCode(freshEmail('ip'), 'REGISTER', ip);
      await h.getCode(freshEmail('ip'), 'REGISTER', `::ffff:${ip}`);
      await rejectsWith(h.getCode(freshEmail('ip'), 'REGISTER', ip), 'CODE_IP_LIMIT');
      await h.getCode(freshEmail('ip'), 'REGISTER', '2001:db8::1');
    } finally {
      await h.stop();
    }
  });

  test('concurrent requests for one address yield exactly one code and one mail', async () => {
    const email = freshEmail('burst');
    const results = await Promise.allSettled(Array.from({ length: 12 }, () => verify.getCode(email)));
    const ok = results.filter((r) => r.status === 'fulfilled');
    assert.equal(ok.length, 1);
    for (const r of results) if (r.status === 'rejected') assert.equal((r.reason as { code: string }).code, 'CODE_COOLDOWN');
    const mail = await sink.waitForMail(email);
    await sleep(300);
    assert.equal(sink.messages.filter((m) => m.to.includes(email)).length, 1);
    assert.equal(await env.redis.zcard(VerifyKeys.emailWindow(email)), 1);
    await verify.check(email, extractCode(mail.raw) ?? '');
  });

  test('concurrent requests cannot exceed the hourly cap', async () => {
    const h = await startHarness(env.config, sink, { verify: { resendIntervalSec: 0, hourlyLimitPerEmail: 4 } });
    try {
      const email = freshEmail('cap-race');
      const results = await Promise.allSettled(Array.from({ length: 15 }, () => h.getCode(email)));
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 4);
      assert.equal(await env.redis.zcard(VerifyKeys.emailWindow(email)), 4);
    } finally {
      await h.stop();
    }
  });
});
