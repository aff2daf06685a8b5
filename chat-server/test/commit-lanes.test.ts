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
