/** The messages between the gate and its hashing threads (hash-workers.ts, hash-worker.ts). */
import type { Options } from '@node-rs/argon2';

export type HashJob = { id: number; kind: 'hash'; password: string; options: Options } | { id: number; kind: 'verify'; stored: string; password: string };

export type HashReply = { id: number; ok: true; value: string | boolean } | { id: number; ok: false; error: string };
