/**
 * The gate's hashing as it runs (hashing.ts, hash-workers.ts): argon2 on threads of its own, so libuv's
 * pool stays free for DNS and files however many hashes run; each thread handed its next hash while it
 * computes one; the answers of the PasswordHasher unchanged.
 */
import assert from 'node:assert/strict';
import { pbkdf2 } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { makeTestConfig } from '@parley/common/testing';
import { createHashing, type Hashing } from '../src/hashing';

const PASSWORD = 'Hashing-test-2024';

/** The gate's [gate] section as a test cluster has it (OWASP's cheapest pair), with overrides. */
function gateConfig(gate: Record<string, number>) {
  return makeTestConfig({ database: 'unused', redisPrefix: 'unused:', sections: { gate } }).gate;
}

/** One job on libuv's pool (pbkdf2 of one iteration: microseconds of work once a thread takes it). */
const poolJob = () => new Promise<void>((resolve, reject) => pbkdf2('x', 'y', 1, 32, 'sha256', (err) => (err ? reject(err) : resolve())));

describe('the gate hashing', () => {
  const open: Hashing[] = [];
  const make = (gate: Record<string, number>) => {
    const h = createHashing(gateConfig(gate));
    open.push(h);
    return h;
  };
  after(async () => {
    for (const h of open) await h.threads.close();
  });

  it('answers as before: a hash verifies, a wrong password and an unreadable hash do not', async () => {
    const { hasher } = make({ hash_concurrency: 2 });
    const stored = await hasher.hash(PASSWORD);
    assert.match(stored, /^\$argon2id\$v=19\$m=7168,t=5,p=1\$/);
    assert.equal(await hasher.verify(stored, PASSWORD), true);
    assert.equal(await hasher.verify(stored, `${PASSWORD}x`), false);
    assert.equal(await hasher.verify('not a hash', PASSWORD), false);
    assert.equal(await hasher.verifyDummy(PASSWORD), false);
    // NFKC: the full-width letters of the same password match.
    const wide = await hasher.hash('ＡＢＣ-pass-2024');
    assert.equal(await hasher.verify(wide, 'ABC-pass-2024'), true);
  });

  it('leaves libuv\'s pool free: a pool job finishes before any of a flood of hashes, with as many hashing threads as the pool has', async () => {
    // 4 = libuv's default pool size: on a 4-core machine one hash per core used to take every pool thread.
    const { hasher } = make({ hash_concurrency: 4, hash_memory_kib: 19456, hash_time_cost: 2 });
    const stored = await hasher.hash(PASSWORD);
    const order: string[] = [];
    const hashes = Array.from({ length: 12 }, () => hasher.verify(stored, PASSWORD).then(() => order.push('hash')));
    await new Promise((r) => setImmediate(r));
    await poolJob().then(() => order.push('pool'));
    await Promise.all(hashes);
    // On the pool, the job would wait behind the 12 hashes queued first (at least 9 of them done).
    // Here it waits for no hash, only for a core: on a loaded 2-core machine a hash or two may
    // finish first, so the bound leaves room for that and still tells the two wirings apart.
    assert.ok(order.indexOf('pool') < 4, `order: ${order.join(' ')}`);
  });

  it('hands each thread its next hash while it computes one, and never computes more at once than there are threads', async () => {
    const { hasher, slots, threads } = make({ hash_concurrency: 2 });
    const stored = await hasher.hash(PASSWORD);
    const runs = Array.from({ length: 7 }, () => hasher.verify(stored, PASSWORD));
    await new Promise((r) => setImmediate(r));
    assert.equal(threads.size, 2);
    assert.deepEqual(threads.outstanding, [2, 2]);
    assert.deepEqual(slots.load, { running: 4, waiting: 3 });
    assert.deepEqual(await Promise.all(runs), Array.from({ length: 7 }, () => true));
    assert.deepEqual(threads.outstanding, [0, 0]);
  });

  it('after close, a hash is refused UNAVAILABLE', async () => {
    const { hasher, threads } = make({ hash_concurrency: 1 });
    await threads.close();
    await assert.rejects(hasher.hash(PASSWORD), (err: { code?: string }) => err.code === 'UNAVAILABLE');
  });
});
