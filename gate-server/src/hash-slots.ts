/**
 * A bound on password hashing: at most `concurrency` argon2 computations at a time (each holds
 * gate.hash_memory_kib, 19 MiB by default), at most `queueLimit` waiting for a slot; beyond that a hash is
 * refused at once with RATE_LIMITED and a Retry-After estimated from the queue and recent hash times.
 * So a login flood costs bounded memory and a bounded wait, instead of a queue that grows until every
 * request times out. @node-rs/argon2 computes on libuv's thread pool, which DNS lookups and file access
 * share: with `concurrency` at the number of cores hashing uses the cores it can use well and leaves
 * threads free for the rest.
 */
import { performance } from 'node:perf_hooks';
import { ParleyError } from '@parley/common';

interface Waiter {
  resolve(): void;
  reject(err: Error): void;
}

/** Weight of the newest hash time in the moving average. */
const SMOOTHING = 0.2;

export class HashSlots {
  private running = 0;
  private readonly waiting: Waiter[] = [];
  private averageMs = 0;
  private closed = false;
  private idle: (() => void) | undefined;

  constructor(
    readonly concurrency: number,
    readonly queueLimit: number,
  ) {
    if (!Number.isSafeInteger(concurrency) || concurrency < 1) throw new RangeError(`HashSlots: concurrency must be ≥ 1, got ${concurrency}`);
  }

  /** Runs `work` in a slot (waiting in the queue for one), or throws RATE_LIMITED / UNAVAILABLE (closing). */
  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.closed) throw shuttingDown();
    if (this.running < this.concurrency) {
      this.running++;
    } else {
      if (this.waiting.length >= this.queueLimit) {
        throw new ParleyError('RATE_LIMITED', 'Too many logins in progress; retry shortly', { details: { retryAfterSec: this.retryAfterSec() } });
      }
      // A slot is handed over by `release` (running stays the same), so none can be taken in between.
      await new Promise<void>((resolve, reject) => this.waiting.push({ resolve, reject }));
    }
    const started = performance.now();
    try {
      return await work();
    } finally {
      const ms = performance.now() - started;
      this.averageMs = this.averageMs === 0 ? ms : this.averageMs + SMOOTHING * (ms - this.averageMs);
      this.release();
    }
  }

  /** Hashes running and waiting now. */
  get load(): { running: number; waiting: number } {
    return { running: this.running, waiting: this.waiting.length };
  }

  /** Refuses what waits (UNAVAILABLE) and new work; resolves once the running hashes are done. */
  close(): Promise<void> {
    this.closed = true;
    for (const w of this.waiting.splice(0)) w.reject(shuttingDown());
    // The refused waiters never held a slot.
    if (this.running === 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.idle = resolve;
    });
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) {
      next.resolve();
      return;
    }
    this.running--;
    if (this.running === 0) this.idle?.();
  }

  /** Seconds until a slot is likely free for a newcomer: the queue ahead of it, at the recent pace. */
  private retryAfterSec(): number {
    const ms = ((this.waiting.length + 1) / this.concurrency) * (this.averageMs || 100);
    return Math.max(1, Math.ceil(ms / 1000));
  }
}

function shuttingDown(): ParleyError {
  return new ParleyError('UNAVAILABLE', 'The gate is shutting down; retry');
}
