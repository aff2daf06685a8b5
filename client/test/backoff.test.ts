import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Backoff } from '../src/session/backoff';

test('the ceiling doubles per attempt up to the cap; reset starts over', () => {
  const b = new Backoff({ baseMs: 100, capMs: 1000, random: () => 0.999999 });
  const waits = Array.from({ length: 7 }, () => b.next());
  assert.deepEqual(waits, [99, 199, 399, 799, 999, 999, 999]);
  assert.equal(b.attempts, 7);
  b.reset();
  assert.equal(b.next(), 99);
});

test('full jitter: waits spread over [0, ceiling), never above it, and not all equal', () => {
  const b = new Backoff({ baseMs: 100, capMs: 800 });
  const samples: number[] = [];
  for (let i = 0; i < 200; i++) {
    b.reset();
    for (let k = 0; k < 3; k++) b.next();
    samples.push(b.next()); // ceiling 800
  }
  assert.ok(samples.every((w) => w >= 0 && w < 800));
  assert.ok(Math.min(...samples) < 200 && Math.max(...samples) > 600, `spread ${Math.min(...samples)}..${Math.max(...samples)}`);
});

test('thousands of failures still wait at most the cap (no overflow to Infinity or NaN)', () => {
  const b = new Backoff({ baseMs: 500, capMs: 30_000, random: () => 0.5 });
  let wait = 0;
  for (let i = 0; i < 5000; i++) wait = b.next();
  assert.equal(wait, 15_000);
  assert.throws(() => new Backoff({ baseMs: 0 }), RangeError);
});

test('the first wait after a loss is quick by default (≤ 100 ms); the next ones back off from baseMs', () => {
  const b = new Backoff({ random: () => 0.999999 });
  assert.deepEqual([b.next(), b.next(), b.next()], [99, 999, 1999]);
  assert.equal(new Backoff({ baseMs: 500, firstMs: 300, random: () => 0.999999 }).next(), 299);
  assert.throws(() => new Backoff({ firstMs: 0 }), RangeError);
});
