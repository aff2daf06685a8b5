import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RestartPolicy } from '../src/supervisor/restart-policy';

const options = { initialDelayMs: 500, factor: 2, maxDelayMs: 3000, stableAfterMs: 10_000, maxCrashes: 5 };

test('restart delays double per consecutive crash, capped, then the server is given up', () => {
  const policy = new RestartPolicy(options);
  const decisions = Array.from({ length: 6 }, () => policy.onCrash(100));
  assert.deepEqual(decisions, [
    { action: 'restart', delayMs: 500, attempt: 1, reset: false },
    { action: 'restart', delayMs: 1000, attempt: 2, reset: false },
    { action: 'restart', delayMs: 2000, attempt: 3, reset: false },
    { action: 'restart', delayMs: 3000, attempt: 4, reset: false },
    { action: 'restart', delayMs: 3000, attempt: 5, reset: false },
    { action: 'give-up', crashes: 6 },
  ]);
});

test('a run longer than stableAfterMs resets the backoff; a shorter one does not', () => {
  const policy = new RestartPolicy(options);
  policy.onCrash(0);
  policy.onCrash(0);
  assert.deepEqual(policy.onCrash(9_999), { action: 'restart', delayMs: 2000, attempt: 3, reset: false });
  assert.deepEqual(policy.onCrash(10_000), { action: 'restart', delayMs: 500, attempt: 1, reset: true });
  assert.equal(policy.crashCount, 1);
  // A first crash after a long run is simply the first of its series.
  assert.deepEqual(new RestartPolicy(options).onCrash(60_000), { action: 'restart', delayMs: 500, attempt: 1, reset: false });
});

test('invalid options are refused, naming the option', () => {
  assert.throws(() => new RestartPolicy({ maxCrashes: Number('x') }), /maxCrashes must be a finite number/);
  assert.throws(() => new RestartPolicy({ initialDelayMs: -1 }), /initialDelayMs/);
  assert.throws(() => new RestartPolicy({ factor: 0.5 }), /factor must be ≥ 1/);
});
