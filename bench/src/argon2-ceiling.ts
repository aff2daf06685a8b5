/**
 * The argon2 ceiling of the login benchmark: how many password verifications per second this box makes
 * when it does nothing else — `parallel` verifications at a time (one per core), in a fresh Node process
 * of its own, so neither the benchmark's heap nor its timers take a share. `measureCeiling` runs this
 * file as that child; run directly it measures and prints one JSON line:
 *   node bench/dist/src/argon2-ceiling.js --parallel 2 --seconds 4 --memory 19456 --time 2 [--hashes]
 * A login can never be faster than one verification, so logins/s ÷ this rate, measured just before and
 * after the logins on the same box, is the share of the hashing ceiling the gate reaches.
 */
import { execFile } from 'node:child_process';
import { Algorithm, hash, verify } from '@node-rs/argon2';
import { argValue } from '@parley/common';
import { opRate } from './op-rate';

export interface Ceiling {
  parallel: number;
  seconds: number;
  verifiesPerSec: number;
  /** Measured only when asked (`hashes`): a registration or rehash costs one. */
  hashesPerSec?: number;
  /** CPU ms per verification (the child's user + system time ÷ verifications). */
  cpuMsPerVerify: number;
}

export interface CeilingOptions {
  memoryKib: number;
  timeCost: number;
  parallel: number;
  seconds: number;
  hashes?: boolean;
}

const PASSWORD = 'Ceiling-pass-2024';

/**
 * Runs the measurement in a child process (the same Node, the benchmark's environment) whose libuv
 * pool has exactly one thread per parallel op: @node-rs/argon2 hashes on that pool, and more threads
 * than ops only spread the work over threads that take turns (the issue measured 240 verifies/s with 2
 * threads against 194/s with libuv's default 4) — the ceiling is the best this box does.
 */
export function measureCeiling(o: CeilingOptions): Promise<Ceiling> {
  const args = [__filename, '--parallel', String(o.parallel), '--seconds', String(o.seconds), '--memory', String(o.memoryKib), '--time', String(o.timeCost), ...(o.hashes ? ['--hashes'] : [])];
  return new Promise((resolve, reject) => {
    execFile(process.execPath, args, { encoding: 'utf8', timeout: (o.seconds * 3 + 30) * 1000, env: { ...process.env, UV_THREADPOOL_SIZE: String(o.parallel) } }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`argon2 ceiling failed: ${err.message} ${stderr}`));
      try {
        resolve(JSON.parse(stdout.trim().split('\n').pop() ?? '') as Ceiling);
      } catch (parseErr) {
        reject(new Error(`argon2 ceiling printed no result: ${stdout} ${stderr}`, { cause: parseErr }));
      }
    });
  });
}

async function main(): Promise<void> {
  const parallel = Number(argValue('parallel') ?? 2);
  const seconds = Number(argValue('seconds') ?? 4);
  const options = { algorithm: Algorithm.Argon2id, memoryCost: Number(argValue('memory') ?? 19456), timeCost: Number(argValue('time') ?? 2), parallelism: 1 };
  const stored = await hash(PASSWORD, options);
  // Warm-up: the first operations of each thread allocate their memory blocks.
  await Promise.all(Array.from({ length: parallel * 3 }, () => verify(stored, PASSWORD)));
  const verifies = await opRate(() => verify(stored, PASSWORD), parallel, seconds);
  const result: Ceiling = { parallel, seconds, verifiesPerSec: Math.round(verifies.perSec * 10) / 10, cpuMsPerVerify: Math.round(verifies.cpuMs * 100) / 100 };
  if (process.argv.includes('--hashes')) result.hashesPerSec = Math.round((await opRate(() => hash(PASSWORD, options), parallel, seconds / 2)).perSec * 10) / 10;
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
