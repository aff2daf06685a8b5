/** HashSlots on its own: the bound on running work, the bounded queue, the hand-over and the close. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ParleyError } from '@parley/common';
import { HashSlots } from '../src/hash-slots';

/** Work that finishes when told to, recording how many ran at once. */
function gatedWork(stats: { now: number; max: number }) {
  let open!: () => void;
  const gate = new Promise<void>((r) => (open = r));
  const work = async () => {
    stats.now++;
    stats.max = Math.max(stats.max, stats.now);
    await gate;
    stats.now--;
    return 'done';
  };
  return { work, open: () => open() };
}

const codeOf = (r: PromiseSettledResult<unknown>) => (r.status === 'rejected' ? (r.reason as ParleyError).code : 'ok');

describe('HashSlots', () => {
  it('runs at most `concurrency` at once, queues `queueLimit`, refuses the rest at once with a Retry-After', async () => {
    const slots = new HashSlots(2, 3);
    const stats = { now: 0, max: 0 };
    const jobs = Array.from({ length: 8 }, () => gatedWork(stats));
    const runs = jobs.map((j) => slots.run(j.work));
    const refused = await Promise.allSettled(runs.slice(5));
    assert.deepEqual(refused.map(codeOf), ['RATE_LIMITED', 'RATE_LIMITED', 'RATE_LIMITED']);
    const details = (refused[0] as PromiseRejectedResult).reason.details as { retryAfterSec: number };
    assert.ok(details.retryAfterSec >= 1);
    assert.deepEqual(slots.load, { running: 2, waiting: 3 });
    for (const j of jobs) j.open();
    assert.deepEqual(await Promise.all(runs.slice(0, 5)), ['done', 'done', 'done', 'done', 'done']);
    assert.equal(stats.max, 2);
    assert.deepEqual(slots.load, { running: 0, waiting: 0 });
  });

  it('a failing job frees its slot for the next', async () => {
    const slots = new HashSlots(1, 5);
    const failing = slots.run(() => Promise.reject(new Error('boom')));
    const next = slots.run(async () => 'next');
    await assert.rejects(failing, /boom/);
    assert.equal(await next, 'next');
  });

  it('close refuses the queue with UNAVAILABLE, lets running work finish, then resolves', async () => {
    const slots = new HashSlots(1, 5);
    const stats = { now: 0, max: 0 };
    const first = gatedWork(stats);
    const running = slots.run(first.work);
    const queued = slots.run(async () => 'never');
    let closed = false;
    const closing = slots.close().then(() => (closed = true));
    assert.deepEqual([codeOf((await Promise.allSettled([queued]))[0] as PromiseSettledResult<unknown>)], ['UNAVAILABLE']);
    await new Promise((r) => setImmediate(r));
    assert.equal(closed, false, 'waits for the running job');
    first.open();
    await closing;
    assert.equal(await running, 'done');
    await assert.rejects(slots.run(async () => 'late'), (err: unknown) => err instanceof ParleyError && err.code === 'UNAVAILABLE');
  });
});
