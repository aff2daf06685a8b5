/**
 * Where argon2 computes: an engine takes a password (already normalised) and the argon2 options and
 * answers a PHC string or a verification. Two engines:
 * - `libuvHashEngine`: @node-rs/argon2's async calls, on libuv's shared thread pool (tools and tests;
 *   nothing to start or stop);
 * - `HashWorkers` (hash-workers.ts): threads of the gate's own, one per core — what the gate runs.
 */
import { hash, verify, type Options } from '@node-rs/argon2';

export interface HashEngine {
  /** A PHC string with a fresh random salt. */
  hash(password: string, options: Options): Promise<string>;
  /** True when `password` matches `stored`; false for a wrong password or an unreadable stored hash. */
  verify(stored: string, password: string): Promise<boolean>;
}

export const libuvHashEngine: HashEngine = {
  hash: (password, options) => hash(password, options),
  verify: (stored, password) => verify(stored, password).catch(() => false),
};
