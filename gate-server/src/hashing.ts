/**
 * The gate's password hashing as it runs: `gate.hash_concurrency` hashing threads (0 = one per core,
 * hash-workers.ts), HashSlots admitting twice that many (so each thread is handed its next hash while it
 * computes one) with `gate.hash_queue_limit` more waiting, and the PasswordHasher over both.
 */
import { availableParallelism } from 'node:os';
import type { ParleyConfig } from '@parley/common';
import { HashSlots } from './hash-slots';
import { HashWorkers } from './hash-workers';
import { PasswordHasher } from './password-hasher';

export interface Hashing {
  hasher: PasswordHasher;
  slots: HashSlots;
  threads: HashWorkers;
}

/** The [gate] keys hashing reads. */
export type HashingConfig = Pick<ParleyConfig['gate'], 'hashConcurrency' | 'hashQueueLimit' | 'hashMemoryKib' | 'hashTimeCost'>;

export function createHashing(cfg: HashingConfig): Hashing {
  const threads = new HashWorkers(cfg.hashConcurrency || availableParallelism());
  const slots = new HashSlots(2 * threads.size, cfg.hashQueueLimit);
  const hasher = new PasswordHasher({ memoryCost: cfg.hashMemoryKib, timeCost: cfg.hashTimeCost }, slots, threads);
  return { hasher, slots, threads };
}
