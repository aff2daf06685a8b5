/**
 * The gate's hashing threads: `size` worker threads of its own (one per core by default), each
 * computing argon2 jobs one after the other (hash-worker.ts); a job goes to the thread with the fewest
 * jobs outstanding.
 *
 * Why not @node-rs/argon2's async calls on libuv's pool: that pool (4 threads unless UV_THREADPOOL_SIZE
 * says otherwise, which cannot be set reliably from inside the process) is shared with DNS lookups and
 * file access, and takes any free thread for the next hash. Hashes on more threads than cores only
 * take turns on the cores (the issue measured 240 verifies/s on 2 threads against 194/s on 4, 2 cores);
 * hashes on all of the pool's threads stall every lookup and file read behind them. And a pool thread
 * that finished a hash idles until the event loop — busy with requests, on the same cores — gets round
 * to handing it the next one. Here each thread is handed its next job while it computes the current one
 * (HashSlots admits twice as many as there are threads), libuv's pool is left to DNS and files, and no
 * more hashes compute at once than there are threads, so memory stays bounded by `size`.
 */
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Options } from '@node-rs/argon2';
import { ParleyError } from '@parley/common';
import type { HashEngine } from './hash-engine';
import type { HashJob, HashReply } from './hash-jobs';

interface Pending {
  resolve(value: string | boolean): void;
  reject(err: Error): void;
}

interface Thread {
  worker: Worker;
  pending: Map<number, Pending>;
}

const WORKER_FILE = join(__dirname, 'hash-worker.js');

export class HashWorkers implements HashEngine {
  private readonly threads: Thread[] = [];
  private nextId = 1;
  private closed = false;

  constructor(readonly size: number) {
    if (!Number.isSafeInteger(size) || size < 1) throw new RangeError(`HashWorkers: size must be ≥ 1, got ${size}`);
    for (let i = 0; i < size; i++) this.threads.push(this.spawn());
  }

  hash(password: string, options: Options): Promise<string> {
    return this.submit((id) => ({ id, kind: 'hash', password, options })) as Promise<string>;
  }

  verify(stored: string, password: string): Promise<boolean> {
    return this.submit((id) => ({ id, kind: 'verify', stored, password })) as Promise<boolean>;
  }

  /** Jobs handed to the threads and not answered yet, per thread. */
  get outstanding(): number[] {
    return this.threads.map((t) => t.pending.size);
  }

  /** Stops the threads; jobs still outstanding are refused (UNAVAILABLE). Callers let running hashes finish first (HashSlots.close). */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.threads.map((t) => t.worker.terminate()));
  }

  private submit(job: (id: number) => HashJob): Promise<string | boolean> {
    if (this.closed) return Promise.reject(unavailable('the gate is shutting down'));
    const thread = this.threads.reduce((best, t) => (t.pending.size < best.pending.size ? t : best));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      thread.pending.set(id, { resolve, reject });
      // A thread with work keeps the process alive; an idle one does not.
      if (thread.pending.size === 1) thread.worker.ref();
      thread.worker.postMessage(job(id));
    });
  }

  private spawn(): Thread {
    const worker = new Worker(WORKER_FILE);
    const thread: Thread = { worker, pending: new Map() };
    worker.unref();
    worker.on('message', (reply: HashReply) => {
      const p = thread.pending.get(reply.id);
      if (!p) return;
      thread.pending.delete(reply.id);
      if (thread.pending.size === 0) worker.unref();
      if (reply.ok) p.resolve(reply.value);
      else p.reject(new Error(`argon2: ${reply.error}`));
    });
    let failed = false;
    const fail = (why: string) => {
      // 'error' is followed by 'exit': one replacement.
      if (failed) return;
      failed = true;
      for (const p of thread.pending.values()) p.reject(unavailable(why));
      thread.pending.clear();
      // A thread that died is replaced, so the gate keeps its hashing capacity.
      const i = this.threads.indexOf(thread);
      if (!this.closed && i >= 0) this.threads[i] = this.spawn();
    };
    worker.on('error', (err) => fail(`a hashing thread failed: ${err.message}`));
    worker.on('exit', (code) => fail(`a hashing thread exited (code ${code})`));
    return thread;
  }
}

function unavailable(why: string): ParleyError {
  return new ParleyError('UNAVAILABLE', `Password check unavailable: ${why}; retry`);
}
