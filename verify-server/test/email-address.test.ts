import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { ParleyError } from '@parley/common';
import { generateCode } from '../src/code-store';
import { emailProblem, MAX_EMAIL_LENGTH, normalizeEmail, tryNormalizeEmail } from '../src/email-address';
import { composeCodeMail } from '../src/mailer';

test('ordinary addresses are accepted and lower-cased', () => {
  assert.equal(normalizeEmail(' Alice.Smith+tag@Mail.Example.COM '), 'alice.smith+tag@mail.example.com');
  assert.equal(normalizeEmail("o'hara@example.ie"), "o'hara@example.ie");
  assert.equal(normalizeEmail('x@xn--bcher-kva.example'), 'x@xn--bcher-kva.example');
});

test('malformed addresses are EMAIL_INVALID with a reason', () => {
  const cases = ['', '@example.com', 'alice@', 'alice', 'alice@localhost', 'a..b@example.com', 'a.@example.com', 'a@exa_mple.com', 'a@example.c', 'a b@example.com', 'a@example..com', `${'a'.repeat(65)}@example.com`, `a@${'b'.repeat(64)}.com`];
  for (const raw of cases) {
    assert.throws(
      () => normalizeEmail(raw),
      (err: unknown) => err instanceof ParleyError && err.code === 'EMAIL_INVALID' && typeof (err.details as { reason?: string }).reason === 'string',
      raw,
    );
    assert.equal(tryNormalizeEmail(raw), undefined, raw);
  }
  assert.equal(tryNormalizeEmail(42), undefined);
});

test('the 254-character limit is exact', () => {
  const domain = `${'d'.repeat(60)}.${'e'.repeat(60)}.${'f'.repeat(60)}.gg.com`; // 189 chars, local part 64
  const at254 = `${'l'.repeat(MAX_EMAIL_LENGTH - domain.length - 1)}@${domain}`;
  assert.equal(at254.length, 254);
  assert.equal(emailProblem(at254), undefined);
  assert.notEqual(emailProblem(`${at254.slice(0, 64)}@g${domain}`), undefined);
});

test('normalisation is idempotent and every accepted address is ≤ 254 lower-case characters', () => {
  fc.assert(
    fc.property(fc.oneof(fc.emailAddress(), fc.string({ maxLength: 300 })), (raw) => {
      const once = tryNormalizeEmail(raw);
      if (once === undefined) return;
      assert.equal(tryNormalizeEmail(once), once);
      assert.ok(once.length <= MAX_EMAIL_LENGTH);
      assert.equal(once, once.toLowerCase());
    }),
    { numRuns: 2000 },
  );
});

test('codes are 6 decimal digits and not constant', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 2000; i++) {
    const c = generateCode();
    assert.match(c, /^\d{6}$/);
    seen.add(c);
  }
  assert.ok(seen.size > 1900, `only ${seen.size} distinct codes in 2000`);
});

test('the mail text and HTML both carry the code and escape nothing unexpected', () => {
  const m = composeCodeMail({ to: 'a@example.com', code: '012345', purpose: 'reset', ttlSec: 600 });
  assert.match(m.text, /012345/);
  assert.match(m.html, /012345/);
  assert.match(m.text, /10 minutes/);
  assert.match(m.subject, /reset/i);
  assert.ok(!m.subject.includes('012345'));
});
