import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SendAdmission } from '../src/messaging/send-admission';

/** An admission driven by hand: the test says whether each window was behind and moves the clock. */
function manual(minPerSec = 100) {
  let behind = false;
  let clock = 0;
  const admission = new SendAdmission({ windowMs: 100, minPerSec, behind: () => behind, now: () => clock, timer: false });
  return {
    admission,
    setBehind: (b: boolean) => void (behind = b),
    advance: (ms: number) => void (clock += ms),
    /** Tries `n` sends spread over one 100 ms window, then ends the window; returns how many got in. */
    window(n: number): number {
      let admitted = 0;
      for (let i = 0; i < n; i++) {
        clock += 100 / n;
        if (admission.tryAdmit()) admitted++;
      }
      admission.adjust();
      return admitted;
    },
  };
}

describe('SendAdmission', () => {
  it('admits everything while the server keeps up', () => {
    const m = manual();
    for (let w = 0; w < 5; w++) assert.equal(m.window(5000), 5000);
    assert.equal(m.admission.capPerSec, Number.POSITIVE_INFINITY);
  });

  it('cuts the admitted rate while the server is behind, down to the floor, and never below it', () => {
    const m = manual(1000);
    m.setBehind(true);
    assert.equal(m.window(2000), 2000, 'the first window had no cap yet');
    assert.equal(m.admission.capPerSec, 15_000, '3/4 of the 20,000/s admitted');
    const second = m.window(2000);
    assert.ok(second <= 1500 + 1 && second >= 1400, `about 1,500 in a window at 15,000/s: ${second}`);
    for (let w = 0; w < 30; w++) m.window(2000);
    assert.equal(m.admission.capPerSec, 1000, 'the floor');
    const floor = m.window(2000);
    assert.ok(floor >= 95 && floor <= 101, `about 100 per 100 ms window at the floor: ${floor}`);
    assert.ok(m.admission.retryAfterMs >= 100);
  });

  it('raises the cap again once the server keeps up, and lifts it when it is far above what is used', () => {
    const m = manual(1000);
    m.setBehind(true);
    for (let w = 0; w < 40; w++) m.window(5000);
    assert.equal(m.admission.capPerSec, 1000);
    m.setBehind(false);
    m.window(5000);
    assert.ok(m.admission.capPerSec > 1000 && m.admission.capPerSec < 5000, `grows a step: ${m.admission.capPerSec}`);
    let windows = 0;
    while (m.admission.capPerSec !== Number.POSITIVE_INFINITY && windows < 100) {
      m.window(200); // a quiet period: 2,000/s
      windows++;
    }
    assert.equal(m.admission.capPerSec, Number.POSITIVE_INFINITY, 'lifted');
    assert.ok(windows < 40, `within a few seconds: ${windows} windows`);
    assert.equal(m.window(5000), 5000);
  });
});
