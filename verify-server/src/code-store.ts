/**
 * Verification codes in Redis: one hash per (purpose, address) holding a salted SHA-256 of the code (never
 * the code), the wrong-attempt count, a burnt flag and a nonce naming this issue of the code. The key's
 * TTL is the code's lifetime; issuing a new code replaces the old one.
 *
 * Checking is two steps: read the hash and compare in constant time here, then act atomically in Lua on
 * the condition that the nonce is still the one read. So of two concurrent checks of the right code only
 * one consumes it, a wrong try always counts, and a check racing a re-issue never touches the new code.
 *
 * Besides each code's own `maxAttempts`, the address has a failure budget across codes: every wrong try is
 * recorded for 24 hours, and once `dailyFailureLimit` are recorded every check (right or wrong) is refused
 * with CODE_FAILURE_LIMIT — otherwise asking for a new code would reset the count and a reset code could be
 * guessed at hundreds of tries a day. The code and the budget share the address's hash tag (verify-keys.ts),
 * so one script reads and writes both.
 */
import { createHash, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import { ParleyError, type Redis } from '@parley/common';
import { FAILURE_WINDOW_MS, limitRefusal } from './code-limits';
import { VerifyKeys } from './verify-keys';

export type Purpose = 'register' | 'reset';

export const CODE_LENGTH = 6;
const CODE_PATTERN = /^\d{6}$/;

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

// Sets `spentMs` to the wait until the budget KEYS[2] (ARGV[2] = window ms, ARGV[3] = limit) has room, or nil.
const BUDGET_LUA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local windowMs = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - windowMs)
local failures = redis.call('ZCARD', KEYS[2])
local spentMs = nil
if failures >= tonumber(ARGV[3]) then
  local oldest = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
  spentMs = tonumber(oldest[2]) + windowMs - now
end
`;

// KEYS: code, failures. ARGV: nonce, failureWindowMs, failureLimit.
// Consumes the code when it is still this issue, not burnt, and the budget is not spent:
// {1} consumed, {0} gone or re-issued, {-3, retryAfterMs} budget spent.
const CONSUME_LUA = `${BUDGET_LUA}
if spentMs then return {-3, spentMs} end
if redis.call('HGET', KEYS[1], 'n') == ARGV[1] and redis.call('HEXISTS', KEYS[1], 'h') == 1 then
  redis.call('DEL', KEYS[1])
  return {1, 0}
end
return {0, 0}
`;

// KEYS: code, failures. ARGV: nonce, failureWindowMs, failureLimit, maxAttempts, member.
// Counts a wrong try against the code and the budget: {-1} code gone or re-issued, {-2} burnt (now or
// before), {-3, retryAfterMs} budget spent (before this try: nothing counted; or by this try), else
// {attempts so far, budget left}.
const WRONG_LUA = `${BUDGET_LUA}
if spentMs then return {-3, spentMs} end
if redis.call('HGET', KEYS[1], 'n') ~= ARGV[1] then return {-1, 0} end
if redis.call('HEXISTS', KEYS[1], 'b') == 1 then return {-2, 0} end
redis.call('ZADD', KEYS[2], now, ARGV[5])
redis.call('PEXPIRE', KEYS[2], windowMs)
local a = redis.call('HINCRBY', KEYS[1], 'a', 1)
local burnt = a >= tonumber(ARGV[4])
if burnt then
  redis.call('HDEL', KEYS[1], 'h', 's')
  redis.call('HSET', KEYS[1], 'b', '1')
end
if failures + 1 >= tonumber(ARGV[3]) then
  local oldest = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
  return {-3, tonumber(oldest[2]) + windowMs - now}
end
if burnt then return {-2, 0} end
return {a, tonumber(ARGV[3]) - failures - 1}
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
  verifyConsume(key: string, failures: string, nonce: string, windowMs: number, limit: number): Promise<[number, number]>;
  verifyWrong(key: string, failures: string, nonce: string, windowMs: number, limit: number, maxAttempts: number, member: string): Promise<[number, number]>;
  verifyRevoke(key: string, nonce: string): Promise<number>;
};

export interface CodeRules {
  /** Wrong tries before one code is burnt (verify.max_attempts). */
  maxAttempts: number;
  /** Wrong tries per address in any 24 hours, across codes (verify.daily_failure_limit). */
  dailyFailureLimit: number;
}

export class CodeStore {
  private readonly commands: StoreCommands;

  constructor(
    private readonly redis: Redis,
    private readonly rules: CodeRules,
  ) {
    redis.defineCommand('verifyConsume', { numberOfKeys: 2, lua: CONSUME_LUA });
    redis.defineCommand('verifyWrong', { numberOfKeys: 2, lua: WRONG_LUA });
    redis.defineCommand('verifyRevoke', { numberOfKeys: 1, lua: REVOKE_LUA });
    this.commands = redis as unknown as StoreCommands;
  }

  /** Stores (replacing any earlier) code for (purpose, email) for ttlSec, as issue `nonce`. */
  async put(purpose: Purpose, email: string, code: string, nonce: string, ttlSec: number): Promise<void> {
    const salt = randomBytes(16).toString('hex');
    const key = VerifyKeys.code(purpose, email);
    await this.redis
      .multi()
      .del(key)
      .hset(key, { s: salt, h: digest(salt, purpose, email, code).toString('hex'), a: 0, n: nonce })
      .pexpire(key, ttlSec * 1000)
      .exec();
  }

  /** Removes issue `nonce` (its mail was not sent); a newer code is left alone. */
  async revoke(purpose: Purpose, email: string, nonce: string): Promise<void> {
    await this.commands.verifyRevoke(VerifyKeys.code(purpose, email), nonce);
  }

  /**
   * Accepts and consumes the right code, or throws CODE_INVALID (wrong, unknown, expired, used; details
   * { attemptsLeft } for a wrong try), CODE_ATTEMPTS_EXCEEDED (the maxAttempts-th wrong try and after) or
   * CODE_FAILURE_LIMIT (the address's budget of wrong tries is spent; details { retryAfterSec }).
   */
  async check(purpose: Purpose, email: string, code: string): Promise<void> {
    const key = VerifyKeys.code(purpose, email);
    const failures = VerifyKeys.failures(email);
    const [salt, hash, nonce, burnt] = await this.redis.hmget(key, 's', 'h', 'n', 'b');
    if (burnt) throw new ParleyError('CODE_ATTEMPTS_EXCEEDED');
    if (!nonce || !salt || !hash) throw new ParleyError('CODE_INVALID');
    const stored = Buffer.from(hash, 'hex');
    const given = digest(salt, purpose, email, CODE_PATTERN.test(code) ? code : '');
    const match = stored.length === given.length && timingSafeEqual(stored, given);
    const { dailyFailureLimit, maxAttempts } = this.rules;
    if (match) {
      const [consumed, retryMs] = await this.commands.verifyConsume(key, failures, nonce, FAILURE_WINDOW_MS, dailyFailureLimit);
      if (consumed === -3) throw limitRefusal(4, retryMs);
      if (consumed === 1) return;
      // Another check consumed it first, or it expired or was re-issued in between.
      throw new ParleyError('CODE_INVALID');
    }
    const [attempts, budgetLeft] = await this.commands.verifyWrong(key, failures, nonce, FAILURE_WINDOW_MS, dailyFailureLimit, maxAttempts, newNonce());
    if (attempts === -3) throw limitRefusal(4, budgetLeft);
    if (attempts === -2) throw new ParleyError('CODE_ATTEMPTS_EXCEEDED');
    if (attempts === -1) throw new ParleyError('CODE_INVALID');
    throw new ParleyError('CODE_INVALID', undefined, { details: { attemptsLeft: Math.max(0, Math.min(maxAttempts - attempts, budgetLeft)) } });
  }
}
