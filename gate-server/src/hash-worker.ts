/**
 * The body of one hashing thread (hash-workers.ts): computes each job it is sent, in order, with
 * @node-rs/argon2's synchronous calls — this thread exists to block on them — and answers
 * { id, ok: true, value } or { id, ok: false, error }.
 */
import { parentPort } from 'node:worker_threads';
import { hashSync, verifySync } from '@node-rs/argon2';
import type { HashJob, HashReply } from './hash-jobs';

function compute(job: HashJob): HashReply {
  try {
    if (job.kind === 'hash') return { id: job.id, ok: true, value: hashSync(job.password, job.options) };
    let matches: boolean;
    try {
      matches = verifySync(job.stored, job.password);
    } catch {
      // An unreadable stored hash matches nothing (PasswordHasher.verify's contract).
      matches = false;
    }
    return { id: job.id, ok: true, value: matches };
  } catch (err) {
    return { id: job.id, ok: false, error: err instanceof Error ? err.message : String(err) };
  }
}

parentPort?.on('message', (job: HashJob) => parentPort?.postMessage(compute(job)));
