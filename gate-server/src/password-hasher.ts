/**
 * argon2id password hashes (@node-rs/argon2, computed off the event loop by a HashEngine: the gate's own
 * hashing threads, hash-workers.ts, or libuv's pool for tools and tests), every computation in a slot of
 * HashSlots (hash-slots.ts) so a flood waits in a bounded queue. Passwords are NFKC-normalised first, so the same characters typed on different keyboards
 * match. `verifyDummy` spends the same work against a fixed hash, so a login for a missing account takes
 * as long as one for an existing account. `needsRehash` tells a stored hash made with a weaker cost
 * than the configured one (upgraded at the next successful login).
 */
import { randomUUID } from 'node:crypto';
import { Algorithm, parseOptions, Version } from '@node-rs/argon2';
import { libuvHashEngine, type HashEngine } from './hash-engine';
import { HashSlots } from './hash-slots';

export interface HashCost {
  /** KiB of memory per hash (gate.hash_memory_kib). */
  memoryCost: number;
  /** Iterations (gate.hash_time_cost). */
  timeCost: number;
}

export class PasswordHasher {
  private readonly options;
  private dummy: Promise<string> | undefined;

  /** Without `slots`: one hash at a time, any number waiting; without `engine`: on libuv's pool (tools and tests). */
  constructor(
    private readonly cost: HashCost,
    readonly slots: HashSlots = new HashSlots(1, Number.MAX_SAFE_INTEGER),
    private readonly engine: HashEngine = libuvHashEngine,
  ) {
    this.options = { algorithm: Algorithm.Argon2id, memoryCost: cost.memoryCost, timeCost: cost.timeCost, parallelism: 1 };
  }

  /** A PHC string ($argon2id$v=19$m=…,t=…,p=1$salt$hash) with a fresh random salt. */
  hash(password: string): Promise<string> {
    return this.slots.run(() => this.engine.hash(password.normalize('NFKC'), this.options));
  }

  /** True when `password` matches; false for a wrong password or an unreadable stored hash. */
  async verify(stored: string, password: string): Promise<boolean> {
    return this.slots.run(() => this.engine.verify(stored, password.normalize('NFKC')));
  }

  /** The cost of one verification at the current parameters, always false. */
  async verifyDummy(password: string): Promise<false> {
    const dummy = await this.dummyHash();
    await this.verify(dummy, password);
    return false;
  }

  /** True when `stored` is an argon2 hash weaker than the configured cost (or not argon2id v19). */
  needsRehash(stored: string): boolean {
    let params;
    try {
      params = parseOptions(stored);
    } catch {
      return false;
    }
    return (
      params.algorithm !== Algorithm.Argon2id ||
      params.version !== Version.V0x13 ||
      params.memoryCost < this.cost.memoryCost ||
      params.timeCost < this.cost.timeCost
    );
  }

  /** Computes the dummy hash now (at start-up), so the first unknown-account login is not cheaper or dearer. */
  async warmUp(): Promise<void> {
    await this.dummyHash();
  }

  private dummyHash(): Promise<string> {
    // Outside the slots: it is computed once, and a slot is taken by the verification that follows.
    this.dummy ??= this.engine.hash(randomUUID(), this.options);
    return this.dummy;
  }
}
