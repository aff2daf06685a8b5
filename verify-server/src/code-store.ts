/**
 * Verification codes in Redis: one hash per (purpose, address) holding a salted SHA-256 of the code (never
 * the code), the wrong-attempt count, a burnt flag and a nonce naming this issue of the code. The key's
 * TTL is the code's lifetime; issuing a new code replaces the old one.
 *
 * Checking is two steps: read the hash and compare in constant time here, then act atomically in Lua on
 * the condition that the nonce is still the one read. So of two concurrent checks of the right code only
 * one consumes it, a wrong try always counts, and a check racing a re-issue never touches the new code.
 */
import { createHash, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import { ParleyError, type Redis } from '@parley/common';

export type Purpose = 'register' | 'reset';

export const CODE_LENGTH = 6;
const CODE_PATTERN = /^\d{6}$/;

export const codeKey = (purpose: Purpose, email: string): string => `verify:code:${purpose}:${email}`;

/** Six decimal digits from the CSPRNG, leading zeros kept. */
export function generateCode(): string {
  return randomInt(0, 10 ** CODE_LENGTH)
    .toString()
    .padStart(CODE_LENGTH, '0');
}

export function newNonce(): string {
  return randomBytes(12).toString('hex');
}

function digest(salt: string, purpose: Purpose, email: string, code: string): Buffer {
  return createHash('sha256').update(`${salt}\0${purpose}\0${email}\0${code}`).digest();
}

// KEYS: code. ARGV: nonce. Consumes the code when it is still this issue and not burnt.
const CONSUME_LUA = `
if redis.call('HGET', KEYS[1], 'n') == ARGV[1] and redis.call('HEXISTS', KEYS[1], 'h') == 1 then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
`;

// KEYS: code. ARGV: nonce, maxAttempts. Counts a wrong try: -1 = code gone or re-issued,
// -2 = burnt (now or before), otherwise the attempts so far.
const WRONG_LUA = `
if redis.call('HGET', KEYS[1], 'n') ~= ARGV[1] then return -1 end
if redis.call('HEXISTS', KEYS[1], 'b') == 1 then return -2 end
local a = redis.call('HINCRBY', KEYS[1], 'a', 1)
if a >= tonumber(ARGV[2]) then
  redis.call('HDEL', KEYS[1], 'h', 's')
  redis.call('HSET', KEYS[1], 'b', '1')
  return -2
end
return a
`;

// KEYS: code. ARGV: nonce. Deletes the code only if it is still this issue.
const REVOKE_LUA = `
if redis.call('HGET', KEYS[1], 'n') == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
`;

type StoreCommands = {
  verifyConsume(key: string, nonce: string): Promise<number>;
  verifyWrong(key: string, nonce: string, maxAttempts: number): Promise<number>;
  verifyRevoke(key: string, nonce: string): Promise<number>;
};

export class CodeStore {
  private readonly commands: StoreCommands;

  constructor(
    private readonly redis: Redis,
    private readonly maxAttempts: number,
  ) {
    redis.defineCommand('verifyConsume', { numberOfKeys: 1, lua: CONSUME_LUA });
    redis.defineCommand('verifyWrong', { numberOfKeys: 1, lua: WRONG_LUA });
    redis.defineCommand('verifyRevoke', { numberOfKeys: 1, lua: REVOKE_LUA });
    this.commands = redis as unknown as StoreCommands;
  }

  /** Stores (replacing any earlier) code for (purpose, email) for ttlSec, as issue `nonce`. */
  async put(purpose: Purpose, email: string, code: string, nonce: string, ttlSec: number): Promise<void> {
    const salt = randomBytes(16).toString('hex');
    const key = codeKey(purpose, email);
    await this.redis
      .multi()
      .del(key)
      .hset(key, { s: salt, h: digest(salt, purpose, email, code).toString('hex'), a: 0, n: nonce })
      .pexpire(key, ttlSec * 1000)
      .exec();
  }

  /** Removes issue `nonce` (its mail was not sent); a newer code is left alone. */
  async revoke(purpose: Purpose, email: string, nonce: string): Promise<void> {
    await this.commands.verifyRevoke(codeKey(purpose, email), nonce);
  }

  /**
   * Accepts and consumes the right code, or throws CODE_INVALID (wrong, unknown, expired, used; details
   * { attemptsLeft } for a wrong try) or CODE_ATTEMPTS_EXCEEDED (the maxAttempts-th wrong try and after).
   */
  async check(purpose: Purpose, email: string, code: string): Promise<void> {
    const key = codeKey(purpose, email);
    const [salt, hash, nonce, burnt] = await this.redis.hmget(key, 's', 'h', 'n', 'b');
    if (burnt) throw new ParleyError('CODE_ATTEMPTS_EXCEEDED');
    if (!nonce || !salt || !hash) throw new ParleyError('CODE_INVALID');
    const stored = Buffer.from(hash, 'hex');
    const given = digest(salt, purpose, email, CODE_PATTERN.test(code) ? code : '');
    const match = stored.length === given.length && timingSafeEqual(stored, given);
    if (match) {
      if ((await this.commands.verifyConsume(key, nonce)) === 1) return;
      // Another check consumed it first, or it expired or was re-issued in between.
      throw new ParleyError('CODE_INVALID');
    }
    const attempts = await this.commands.verifyWrong(key, nonce, this.maxAttempts);
    if (attempts === -2) throw new ParleyError('CODE_ATTEMPTS_EXCEEDED');
    if (attempts === -1) throw new ParleyError('CODE_INVALID');
    throw new ParleyError('CODE_INVALID', undefined, { details: { attemptsLeft: Math.max(0, this.maxAttempts - attempts) } });
  }
}
