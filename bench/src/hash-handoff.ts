/**
 * The gate's hashing alone, with a busy event loop (not a test): `node bench/dist/src/hash-handoff.js
 * [--pairs 3] [--seconds 5] [--busy-us 500] [--every-ms 2]`. Prints verifies/s of
 *   - `pool`: the gate before issue 10 — @node-rs/argon2's async verify on libuv's pool (4 threads),
 *     one hash per core admitted (HashSlots), and
 *   - `threads`: the gate now — createHashing(): one hashing thread per core, two hashes per thread admitted,
 * each in a fresh process whose event loop is kept busy `busy-us` µs every `every-ms` ms (a gate's
 * requests between hashes), the two alternating `pairs` times so drift on the box hits both alike.
 * Production cost (m=19456 KiB, t=2); enough logins queued that a slot is never empty.
 */
import { execFile } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { promisify } from 'node:util';
import { argValue } from '@parley/common';
import { createHashing, HashSlots, PasswordHasher, type Hashing } from '@parley/gate-server';
import { num } from './bench-args';
import { opRate } from './op-rate';

type Mode = 'pool' | 'threads';
const COST = { hash_memory_kib: 19456, hash_time_cost: 2, hash_concurrency: 0, hash_queue_limit: 1_000_000 };
const PASSWORD = 'Handoff-pass-2024';

function hashingOf(mode: Mode): { hasher: PasswordHasher; close(): Promise<void> } {
  const cost = { memoryCost: COST.hash_memory_kib, timeCost: COST.hash_time_cost };
  if (mode === 'pool') return { hasher: new PasswordHasher(cost, new HashSlots(availableParallelism(), COST.hash_queue_limit)), close: async () => undefined };
  const h: Hashing = createHashing({ hashMemoryKib: COST.hash_memory_kib, hashTimeCost: COST.hash_time_cost, hashConcurrency: COST.hash_concurrency, hashQueueLimit: COST.hash_queue_limit });
  return { hasher: h.hasher, close: () => h.threads.close() };
}

/** One measurement in this process: verifies/s with the event loop kept busy. */
async function measure(mode: Mode, seconds: number, busyUs: number, everyMs: number): Promise<{ mode: Mode; verifiesPerSec: number; cpuMsPerVerify: number }> {
  const { hasher, close } = hashingOf(mode);
  const stored = await hasher.hash(PASSWORD);
  const queued = 4 * availableParallelism();
  await Promise.all(Array.from({ length: queued }, () => hasher.verify(stored, PASSWORD)));
  const busy = setInterval(() => {
    const t = process.hrtime.bigint();
    while (process.hrtime.bigint() - t < BigInt(busyUs) * 1000n);
  }, everyMs);
  const verifies = await opRate(() => hasher.verify(stored, PASSWORD), queued, seconds);
  clearInterval(busy);
  await close();
  return { mode, verifiesPerSec: Math.round(verifies.perSec * 10) / 10, cpuMsPerVerify: Math.round(verifies.cpuMs * 100) / 100 };
}

async function main(): Promise<void> {
  const seconds = num('seconds', 5);
  const busyUs = num('busy-us', 500);
  const everyMs = num('every-ms', 2);
  const mode = argValue('mode');
  if (mode === 'pool' || mode === 'threads') {
    process.stdout.write(`${JSON.stringify(await measure(mode, seconds, busyUs, everyMs))}\n`);
    return;
  }
  const run = async (m: Mode) => {
    const { stdout } = await promisify(execFile)(process.execPath, [__filename, '--mode', m, '--seconds', String(seconds), '--busy-us', String(busyUs), '--every-ms', String(everyMs)], { encoding: 'utf8' });
    return JSON.parse(stdout.trim()) as Awaited<ReturnType<typeof measure>>;
  };
  console.log(`argon2id m=${COST.hash_memory_kib} t=${COST.hash_time_cost}, ${availableParallelism()} cores, event loop busy ${busyUs} µs every ${everyMs} ms`);
  console.log('| pair | pool verifies/s (CPU ms each) | threads verifies/s (CPU ms each) | threads ÷ pool |');
  console.log('|---|---|---|---|');
  for (let i = 1; i <= num('pairs', 3); i++) {
    const pool = await run('pool');
    const threads = await run('threads');
    console.log(`| ${i} | ${pool.verifiesPerSec} (${pool.cpuMsPerVerify}) | ${threads.verifiesPerSec} (${threads.cpuMsPerVerify}) | ${(threads.verifiesPerSec / pool.verifiesPerSec).toFixed(3)} |`);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
