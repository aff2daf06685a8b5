import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { oldestFirst } from '../src/session/heartbeat-sweeper';

describe('route refreshes per sweep', () => {
  it('takes every due session while within the cap', () => {
    const due = [{ routeRefreshedAt: 5 }, { routeRefreshedAt: 1 }];
    assert.deepEqual(oldestFirst(due, 2), due);
  });

  it('past the cap takes the sessions refreshed longest ago, so a crowd that logged in together spreads over the next sweeps', () => {
    // 10,000 sessions that logged in within the same second, then a cap of 2,000 per sweep.
    let due = Array.from({ length: 10_000 }, (_, i) => ({ id: i, routeRefreshedAt: 1000 + (i % 7) }));
    const sweeps: number[][] = [];
    for (let sweep = 0; sweep < 5; sweep++) {
      const picked = oldestFirst([...due], 2000);
      assert.equal(picked.length, 2000);
      for (const c of picked) c.routeRefreshedAt = 10_000 + sweep; // refreshed now
      sweeps.push(picked.map((c) => c.id));
      due = due.filter((c) => c.routeRefreshedAt < 10_000);
    }
    assert.equal(new Set(sweeps.flat()).size, 10_000, 'each session once within five sweeps');
    assert.deepEqual(due, []);
  });
});
