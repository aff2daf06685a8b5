/**
 * The verify-server's mail path against real SMTP servers: a relay that is down, development mode (no
 * smtp.host) and when it is refused, and SMTP over TLS with a private CA.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ConfigError } from '@parley/common';
import { createTestEnv, extractCode, freePort, type TestEnv } from '@parley/common/testing';
import { SmtpSink } from '@parley/common/testing/smtp-sink';
import { VerifyKeys } from '../src/index';
import { freshEmail, freshIp, rejectsWith, sleep, startHarness } from './support';
import { makeTestPki, type TestPki } from './tls-fixtures';

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

describe('mail failures', () => {
  test('SMTP down: MAIL_FAILED, no usable code and no cooldown, but each failed send counts against the hourly caps', async () => {
    const deadPort = await freePort();
    const h = await startHarness(env.config, undefined, { smtp: { host: '127.0.0.1', port: deadPort }, verify: { hourlyLimitPerEmail: 2 } });
    try {
      const email = freshEmail('down');
      const ip = freshIp();
      // Back to back: the cooldown does not hold a retry back...
      for (let i = 0; i < 2; i++) await rejectsWith(h.getCode(email, 'REGISTER', ip), 'MAIL_FAILED');
      assert.equal(await env.redis.exists(VerifyKeys.code('register', email)), 0);
      assert.equal(await env.redis.exists(VerifyKeys.cooldown(email)), 0);
      // ...but the failed sends were counted, per address and per IP.
      assert.equal(await env.redis.zcard(VerifyKeys.emailWindow(email)), 2);
      assert.equal(await env.redis.zcard(VerifyKeys.ipWindow(ip)), 2);
      await rejectsWith(h.getCode(email, 'REGISTER', ip), 'CODE_HOURLY_LIMIT');
      // Another address still gets its code once mail works again.
      const other = freshEmail('down-other');
      const since = sink.messages.length;
      const ok = await startHarness(env.config, sink);
      try {
        await ok.getCode(other);
        await sink.waitForMail(other, 10000, since);
      } finally {
        await ok.stop();
      }
    } finally {
      await h.stop();
    }
  });
});

describe('development mode (no smtp.host)', () => {
  test('no mail is sent; the code is logged at warn level and works', async () => {
    const h = await startHarness(env.config, undefined, { smtp: { host: '' } });
    try {
      const email = freshEmail('dev');
      const since = sink.messages.length;
      await h.getCode(email);
      const line = h.logs.map((l) => JSON.parse(l) as { level: number; msg: string }).find((l) => l.msg.includes(`The code for ${email} is`));
      assert.ok(line, 'the code is logged');
      assert.equal(line.level, 40, 'at warn level');
      const code = /is (\d{6})$/.exec(line.msg)?.[1];
      assert.ok(code);
      await h.check(email, code);
      await sleep(100);
      assert.equal(sink.messages.length, since, 'no mail was sent');
    } finally {
      await h.stop();
    }
  });

  test('refused at start with smtp.required or NODE_ENV=production: a config error naming smtp.host', async () => {
    await assert.rejects(startHarness(env.config, undefined, { smtp: { host: '', required: true } }), (err: unknown) => err instanceof ConfigError && /smtp.*host/.test(err.message));
    const saved = process.env.NODE_ENV;
    process.env.NODE_ENV = 'production';
    try {
      await assert.rejects(startHarness(env.config, undefined, { smtp: { host: '' } }), (err: unknown) => err instanceof ConfigError && /NODE_ENV/.test(err.message));
      // With a relay configured, production starts normally.
      const h = await startHarness(env.config, sink);
      await h.stop();
    } finally {
      if (saved === undefined) delete process.env.NODE_ENV;
      else process.env.NODE_ENV = saved;
    }
  });
});

describe('SMTP over TLS with a private CA', () => {
  const NAME = 'mail.parley.test';
  let pki: TestPki;
  let tlsSink: SmtpSink;

  before(async () => {
    pki = makeTestPki(NAME);
    tlsSink = new SmtpSink({ tls: { key: pki.key, cert: pki.cert } });
    await tlsSink.start();
  });

  after(async () => {
    await tlsSink?.stop();
    pki?.remove();
  });

  const tlsSmtp = (extra: Record<string, unknown>) => ({ smtp: { host: '127.0.0.1', port: tlsSink.port, secure: true, ...extra } });

  test('by IP with ca_file and tls_servername: delivered, announced with ehlo_name', async () => {
    const h = await startHarness(env.config, undefined, tlsSmtp({ caFile: pki.caFile, tlsServername: NAME, ehloName: 'verify1.parley.test' }));
    try {
      const email = freshEmail('tls');
      const since = tlsSink.messages.length;
      await h.getCode(email);
      const mail = await tlsSink.waitForMail(email, 10000, since);
      assert.equal(mail.heloName, 'verify1.parley.test');
      await h.check(email, extractCode(mail.raw) ?? '');
    } finally {
      await h.stop();
    }
  });

  test('the certificate is verified: without the CA, or without the name, MAIL_FAILED and nothing delivered', async () => {
    const since = tlsSink.messages.length;
    for (const extra of [{ tlsServername: NAME }, { caFile: pki.caFile }]) {
      const h = await startHarness(env.config, undefined, tlsSmtp(extra));
      try {
        await rejectsWith(h.getCode(freshEmail('untrusted')), 'MAIL_FAILED');
        assert.ok(h.logs.some((l) => /verification mail not sent/.test(l) && /certificate|altnames|Hostname/i.test(l)), 'the log says why');
      } finally {
        await h.stop();
      }
    }
    assert.equal(tlsSink.messages.length, since);
  });

  test('an unreadable ca_file stops the start with a config error', async () => {
    await assert.rejects(startHarness(env.config, undefined, tlsSmtp({ caFile: `${pki.dir}/missing.pem` })), (err: unknown) => err instanceof ConfigError && /ca_file/.test(err.message));
  });
});
