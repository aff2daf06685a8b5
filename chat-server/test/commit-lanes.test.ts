import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CommitLanes } from '../src/messaging/commit-lanes';

/** A commit that holds each batch until `release` is called, recording the batches. */
function heldCommits(): { batches: number[][]; release: () => void; commit: (batch: number[]) => Promise<void> } {
  const batches: number[][] = [];
  let waiting: (() => void)[] = [];
  return {
    batches,
    release: () => {
      const list = waiting;
      waiting = [];
      for (const r of list) r();
    },
    commit: (batch) => {
      batches.push(batch);
      return new Promise<void>((resolve) => waiting.push(resolve));
    },
  };
}

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('CommitLanes with intervalMs 0', () => {
  it('commits what one turn of the event loop queued as one batch, without waiting on a clock', async () => {
    const c = heldCommits();
    const lanes = new CommitLanes<number>({ lanes: 1, intervalMs: 0, maxBatch: 100, commit: c.commit });
    for (let i = 1; i <= 3; i++) assert.ok(lanes.tryAdd(1, i));
    assert.deepEqual(c.batches, [], 'nothing starts within the turn that queued');
    await turn();
    assert.deepEqual(c.batches, [[1, 2, 3]]);
    c.release();
    await lanes.flush();
  });

  it('batches whatever arrives while a commit is in flight, in order, and goes idle after', async () => {
    const c = heldCommits();
    const lanes = new CommitLanes<number>({ lanes: 1, intervalMs: 0, maxBatch: 100, commit: c.commit });
    assert.ok(lanes.tryAdd(1, 1));
    await turn();
    for (let i = 2; i <= 5; i++) assert.ok(lanes.tryAdd(1, i));
    await turn();
    assert.deepEqual(c.batches, [[1]], 'one batch in flight per lane');
    c.release();
    await turn();
    assert.deepEqual(c.batches, [[1], [2, 3, 4, 5]]);
    c.release();
    await lanes.flush();
    assert.equal(lanes.queued, 0);
    assert.ok(lanes.tryAdd(1, 6));
    await turn();
    assert.deepEqual(c.batches.at(-1), [6], 'an idle lane starts again on the next entry');
    c.release();
    await lanes.flush();
  });

  it('flush commits a scheduled batch at once and cancels the scheduled start', async () => {
    const committed: number[][] = [];
    const lanes = new CommitLanes<number>({ lanes: 2, intervalMs: 0, maxBatch: 100, commit: async (b) => void committed.push(b) });
    assert.ok(lanes.tryAdd(1, 1));
    assert.ok(lanes.tryAdd(2, 2));
    await lanes.flush();
    assert.deepEqual(
      committed.sort((a, b) => (a[0] as number) - (b[0] as number)),
      [[1], [2]],
    );
    await turn();
    assert.equal(committed.length, 2, 'the cancelled start commits nothing twice');
  });
});

describe('CommitLanes maxWaitMs', () => {
  it('refuses while the oldest waiting entry has waited longer than maxWaitMs, and takes entries again once a batch took it', async () => {
    const c = heldCommits();
    let clock = 1000;
    const lanes = new CommitLanes<number>({ lanes: 2, intervalMs: 0, maxBatch: 100, maxPending: 1000, maxWaitMs: 50, now: () => clock, commit: c.commit });
    assert.ok(lanes.tryAdd(0, 1));
    await turn();
    assert.deepEqual(c.batches, [[1]], 'the first batch is committing (held)');
    assert.ok(lanes.tryAdd(0, 2), 'waits behind the running batch');
    clock += 50;
    assert.ok(lanes.tryAdd(0, 3), 'the oldest has waited exactly maxWaitMs: still taken');
    assert.equal(lanes.oldestWaitMs(0), 50);
    clock += 1;
    assert.equal(lanes.tryAdd(0, 4), false, 'far below the count bound, but the oldest waited too long');
    assert.equal(lanes.hasRoomFor(0), false);
    assert.ok(lanes.tryAdd(1, 5), 'another lane has its own queue');
    c.release();
    await turn();
    await turn();
    assert.ok(
      c.batches.some((b) => b.join() === '2,3'),
      `the waiting entries became the next batch: ${JSON.stringify(c.batches)}`,
    );
    assert.equal(lanes.oldestWaitMs(0), 0);
    assert.ok(lanes.tryAdd(0, 6), 'nothing old waits any more');
    c.release();
    c.release();
    await turn();
    c.release();
    await lanes.flush();
  });

  it('an idle lane takes an entry whatever the bound', async () => {
    const committed: number[][] = [];
    let clock = 0;
    const lanes = new CommitLanes<number>({ lanes: 1, intervalMs: 0, maxBatch: 100, maxWaitMs: 0, now: () => clock, commit: async (b) => void committed.push(b) });
    assert.ok(lanes.tryAdd(0, 1));
    clock += 5;
    assert.equal(lanes.tryAdd(0, 2), false, 'the first entry has waited 5 ms > 0');
    await lanes.flush();
    assert.ok(lanes.tryAdd(0, 3));
    await lanes.flush();
    assert.deepEqual(committed, [[1], [3]]);
  });
});

describe('CommitLanes maxWaitMs and slow batches', () => {
  it("counts the last batch's duration: after a slow batch a lane admits less until its batches are quick again", async () => {
    const c = heldCommits();
    let clock = 0;
    const lanes = new CommitLanes<number>({ lanes: 1, intervalMs: 0, maxBatch: 100, maxWaitMs: 100, now: () => clock, commit: c.commit });
    assert.ok(lanes.tryAdd(0, 1));
    await turn();
    clock += 80; // the batch takes 80 ms
    c.release();
    await turn();
    assert.ok(lanes.tryAdd(0, 2), 'an idle lane takes one');
    clock += 30;
    assert.equal(lanes.tryAdd(0, 3), false, 'waited 30 ms + an 80 ms batch > 100 ms');
    await turn();
    assert.deepEqual(c.batches, [[1], [2]]);
    clock += 1; // a quick batch
    c.release();
    await turn();
    assert.ok(lanes.tryAdd(0, 4));
    clock += 30;
    assert.ok(lanes.tryAdd(0, 5), 'waited 30 ms + a 1 ms batch');
    await turn();
    c.release();
    await turn();
    c.release();
    await lanes.flush();
    assert.deepEqual(c.batches, [[1], [2], [4, 5]]);
  });
});

describe('CommitLanes with intervalMs > 0', () => {
  const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

  it('starts at most one batch per interval under a trickle: quick commits do not turn into one commit per send', async () => {
    const batches: number[][] = [];
    // Each commit takes 10 ms; a send arrives every 2 ms.
    const commit = async (b: number[]): Promise<void> => {
      batches.push(b);
      await sleep(10);
    };
    const lanes = new CommitLanes<number>({ lanes: 1, intervalMs: 40, maxBatch: 1000, minBatch: 100, commit });
    const started = Date.now();
    for (let i = 1; i <= 75; i++) {
      assert.ok(lanes.tryAdd(1, i));
      await sleep(2);
    }
    const elapsed = Date.now() - started;
    await lanes.flush();
    assert.deepEqual(batches.flat(), Array.from({ length: 75 }, (_, i) => i + 1), 'every entry once, in order');
    // Without the pause a batch would follow each 10 ms commit at once: one per ~10 ms.
    assert.ok(batches.length <= Math.ceil(elapsed / 40) + 2, `${batches.length} batches in ${elapsed} ms`);
  });

  it('minBatch waiting and flush() cut the pause short', async () => {
    const c = heldCommits();
    const lanes = new CommitLanes<number>({ lanes: 1, intervalMs: 10_000, maxBatch: 5, minBatch: 3, commit: c.commit });
    for (let i = 1; i <= 5; i++) assert.ok(lanes.tryAdd(1, i));
    await turn();
    assert.deepEqual(c.batches, [[1, 2, 3, 4, 5]], 'a full batch starts at once');
    assert.ok(lanes.tryAdd(1, 4));
    c.release();
    await turn();
    assert.equal(c.batches.length, 1, 'after a quick batch the next waits out the interval');
    assert.ok(lanes.tryAdd(1, 5.5));
    await turn();
    assert.equal(c.batches.length, 1, 'fewer than minBatch: still waiting');
    assert.ok(lanes.tryAdd(1, 6));
    await turn();
    assert.deepEqual(c.batches.at(-1), [4, 5.5, 6], 'minBatch waiting ends the pause');
    assert.ok(lanes.tryAdd(1, 7));
    c.release();
    await turn();
    assert.equal(c.batches.length, 2, 'pausing again');
    const t = Date.now();
    const flushed = lanes.flush();
    await turn();
    assert.deepEqual(c.batches.at(-1), [7], 'flush ends the pause');
    c.release();
    await flushed;
    assert.ok(Date.now() - t < 1000, 'flush does not wait out the interval');
  });
});
