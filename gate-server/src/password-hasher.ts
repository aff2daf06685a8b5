/**
 * argon2id password hashes (@node-rs/argon2, computed off the event loop on libuv's thread pool).
 * Passwords are NFKC-normalised first, so the same characters typed on different keyboards match.
 * `verifyDummy` spends the same work against a fixed hash, so a login for a missing account takes as long
 * as one for an existing account.
 */
import { randomUUID } from 'node:crypto';
import { Algorithm, hash, verify } from '@node-rs/argon2';

export interface HashCost {
  /** KiB of memory per hash (gate.hash_memory_kib). */
  memoryCost: number;
  /** Iterations (gate.hash_time_cost). */
  timeCost: number;
}

export class PasswordHasher {
  private readonly options;
  private dummy: Promise<string> | undefined;

  constructor(cost: HashCost) {
    this.options = { algorithm: Algorithm.Argon2id, memoryCost: cost.memoryCost, timeCost: cost.timeCost, parallelism: 1 };
  }

  /** A PHC string ($argon2id$v=19$m=…,t=…,p=1$salt$hash) with a fresh random salt. */
  hash(password: string): Promise<string> {
    return hash(password.normalize('NFKC'), this.options);
  }

  /** True when `password` matches; false for a wrong password or an unreadable stored hash. */
  async verify(stored: string, password: string): Promise<boolean> {
    try {
      return await verify(stored, password.normalize('NFKC'));
    } catch {
      return false;
    }
  }

  /** The cost of one verification at the current parameters, always false. */
  async verifyDummy(password: string): Promise<false> {
    await this.verify(await this.dummyHash(), password);
    return false;
  }

  /** Computes the dummy hash now (at start-up), so the first unknown-account login is not cheaper or dearer. */
  async warmUp(): Promise<void> {
    await this.dummyHash();
  }

  private dummyHash(): Promise<string> {
    this.dummy ??= hash(randomUUID(), this.options);
    return this.dummy;
  }
}
