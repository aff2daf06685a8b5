/**
 * Login tokens, shared by the status-server (issues them) and chat servers (check them on LoginReq).
 * Format: 32 random bytes as base64url (43 characters). Redis keeps only its SHA-256 (hex) at
 * RedisKeys.token(uid) with a TTL, so a dump of Redis cannot be replayed as a login. One token per user: issuing a new one replaces the previous one. See docs/status-server.md.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Redis } from './redis-client';
import { RedisKeys } from './redis-keys';

export const TOKEN_BYTES = 32;
/** Length of a token string: base64url of TOKEN_BYTES without padding. */
export const TOKEN_LENGTH = Math.ceil((TOKEN_BYTES * 4) / 3);

const TOKEN_PATTERN = /^[A-Za-z0-9_-]+$/;

/** A fresh token: TOKEN_BYTES from the CSPRNG, base64url without padding. */
export function generateToken(): string {
  return randomBytes(TOKEN_BYTES).toString('base64url');
}

/** What Redis stores for a token. */
export function tokenDigest(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

function isUid(uid: unknown): uid is number {
  return typeof uid === 'number' && Number.isSafeInteger(uid) && uid > 0;
}

/** Issues a new token for uid valid for ttlSec seconds, replacing the user's previous one. */
export async function issueToken(redis: Redis, uid: number, ttlSec: number): Promise<string> {
  if (!isUid(uid)) throw new RangeError(`issueToken: uid must be a positive safe integer, got ${String(uid)}`);
  if (!Number.isSafeInteger(ttlSec) || ttlSec <= 0) throw new RangeError(`issueToken: ttlSec must be a positive integer, got ${String(ttlSec)}`);
  const token = generateToken();
  await redis.set(RedisKeys.token(uid), tokenDigest(token), 'EX', ttlSec);
  return token;
}

/**
 * True when `token` is uid's current, unexpired token. The comparison is constant-time
 * (timingSafeEqual on equal-length buffers); anything malformed is simply not valid.
 * The token stays valid until it expires or is replaced (it is not single-use).
 */
export async function validateToken(redis: Redis, uid: number, token: string): Promise<boolean> {
  if (!isUid(uid) || typeof token !== 'string' || token.length !== TOKEN_LENGTH || !TOKEN_PATTERN.test(token)) return false;
  const stored = await redis.get(RedisKeys.token(uid));
  if (stored === null) return false;
  const a = Buffer.from(stored, 'utf8');
  const b = Buffer.from(tokenDigest(token), 'utf8');
  if (a.length !== b.length) return false;
  return timingSafeEqual(a, b);
}

/** Removes uid's token (logout, account deletion); true when there was one. */
export async function revokeToken(redis: Redis, uid: number): Promise<boolean> {
  if (!isUid(uid)) return false;
  return (await redis.del(RedisKeys.token(uid))) > 0;
}

// Deletes the key only while it still holds this digest: a token issued meanwhile survives.
const REVOKE_IF_CURRENT_LUA = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0";

/**
 * Logout: removes uid's token only if it is still `token` (or the token whose digest is given),
 * atomically, so a logout racing a new login cannot kill the new token. True when it was removed.
 */
export async function revokeTokenIfCurrent(redis: Redis, uid: number, token: { token: string } | { digest: string }): Promise<boolean> {
  if (!isUid(uid)) return false;
  const digest = 'digest' in token ? token.digest : tokenDigest(token.token);
  return (await redis.eval(REVOKE_IF_CURRENT_LUA, 1, RedisKeys.token(uid), digest)) === 1;
}
