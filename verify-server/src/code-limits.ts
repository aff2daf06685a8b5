/**
 * The limits on sending codes, kept in Redis so every verify-server instance shares them:
 * - no code while the address's wrong-code budget is spent (CODE_FAILURE_LIMIT, see code-store.ts),
 * - one code per address per `resendIntervalSec` (CODE_COOLDOWN),
 * - `hourlyLimitPerEmail` codes per address in any 60 minutes (CODE_HOURLY_LIMIT),
 * - `hourlyLimitPerIp` codes per client IP bucket in any 60 minutes (CODE_IP_LIMIT; IPv6 by /64).
 * Hourly caps are sliding windows (a sorted set of send times). The address's limits are checked and taken
 * in one Lua script, the IP's in another (their keys hash to different cluster slots); when the IP refuses,
 * the address's reservation is rolled back, so a refused request takes nothing.
 */
import { ParleyError, type ParleyConfig, type Redis } from '@parley/common';
import { VerifyKeys } from './verify-keys';

const HOUR_MS = 3600_000;
export const FAILURE_WINDOW_MS = 24 * HOUR_MS;

const NOW_LUA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`;

// Returns {0, 0} or {outcome, retryAfterMs} when the window KEYS[k] holds `limit` members within windowMs.
const WINDOW_FULL_LUA = `
local function windowFull(key, windowMs, limit)
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - windowMs)
  if redis.call('ZCARD', key) >= limit then
    local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
    return tonumber(oldest[2]) + windowMs - now
  end
  return nil
end
`;

// KEYS: cooldown, email window, failures. ARGV: cooldownMs, windowMs, emailLimit, member, failureWindowMs, failureLimit.
// Returns {0, 0} when reserved, or {1 = cooldown | 2 = email cap | 4 = failure budget spent, retryAfterMs}.
const RESERVE_EMAIL_LUA = `${NOW_LUA}${WINDOW_FULL_LUA}
local spent = windowFull(KEYS[3], tonumber(ARGV[5]), tonumber(ARGV[6]))
if spent then return {4, spent} end
local cooldownMs = tonumber(ARGV[1])
if cooldownMs > 0 then
  local ttl = redis.call('PTTL', KEYS[1])
  if ttl > 0 then return {1, ttl} end
end
local windowMs = tonumber(ARGV[2])
local full = windowFull(KEYS[2], windowMs, tonumber(ARGV[3]))
if full then return {2, full} end
if cooldownMs > 0 then redis.call('SET', KEYS[1], ARGV[4], 'PX', cooldownMs) end
redis.call('ZADD', KEYS[2], now, ARGV[4])
redis.call('PEXPIRE', KEYS[2], windowMs)
return {0, 0}
`;

// KEYS: ip window. ARGV: windowMs, ipLimit, member. Returns {0, 0} when reserved, {3, retryAfterMs} when full.
const RESERVE_IP_LUA = `${NOW_LUA}${WINDOW_FULL_LUA}
local windowMs = tonumber(ARGV[1])
local full = windowFull(KEYS[1], windowMs, tonumber(ARGV[2]))
if full then return {3, full} end
redis.call('ZADD', KEYS[1], now, ARGV[3])
redis.call('PEXPIRE', KEYS[1], windowMs)
return {0, 0}
`;

// KEYS: cooldown, email window. ARGV: member, keepCount. Lifts the cooldown `member` set; unless keepCount
// is '1', also takes its send out of the hourly window.
const RELEASE_EMAIL_LUA = `
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
if ARGV[2] ~= '1' then redis.call('ZREM', KEYS[2], ARGV[1]) end
return 1
`;

// KEYS: ip window. ARGV: member.
const RELEASE_IP_LUA = `
redis.call('ZREM', KEYS[1], ARGV[1])
return 1
`;

type LimitCommands = {
  verifyReserveEmail(cooldown: string, window: string, failures: string, ...argv: (string | number)[]): Promise<[number, number]>;
  verifyReserveIp(window: string, windowMs: number, limit: number, member: string): Promise<[number, number]>;
  verifyReleaseEmail(cooldown: string, window: string, member: string, keepCount: '0' | '1'): Promise<number>;
  verifyReleaseIp(window: string, member: string): Promise<number>;
};

const REFUSALS = { 1: 'CODE_COOLDOWN', 2: 'CODE_HOURLY_LIMIT', 3: 'CODE_IP_LIMIT', 4: 'CODE_FAILURE_LIMIT' } as const;

/** The refusal for a script outcome, with details { retryAfterSec } (at least 1). */
export function limitRefusal(outcome: keyof typeof REFUSALS, retryMs: number): ParleyError {
  const details = { retryAfterSec: Math.max(1, Math.ceil(Number(retryMs) / 1000)) };
  const code = REFUSALS[outcome];
  const message = code === 'CODE_COOLDOWN' ? `Wait ${details.retryAfterSec} s before asking for another code` : undefined;
  return new ParleyError(code, message, { details });
}

export class CodeLimits {
  private readonly commands: LimitCommands;

  constructor(
    redis: Redis,
    private readonly cfg: ParleyConfig['verify'],
  ) {
    redis.defineCommand('verifyReserveEmail', { numberOfKeys: 3, lua: RESERVE_EMAIL_LUA });
    redis.defineCommand('verifyReserveIp', { numberOfKeys: 1, lua: RESERVE_IP_LUA });
    redis.defineCommand('verifyReleaseEmail', { numberOfKeys: 2, lua: RELEASE_EMAIL_LUA });
    redis.defineCommand('verifyReleaseIp', { numberOfKeys: 1, lua: RELEASE_IP_LUA });
    this.commands = redis as unknown as LimitCommands;
  }

  /**
   * Takes one send for `email` from `clientIp` under the token `member`, or throws the refusal
   * (CODE_FAILURE_LIMIT / CODE_COOLDOWN / CODE_HOURLY_LIMIT / CODE_IP_LIMIT, details { retryAfterSec }).
   * An empty clientIp skips the per-IP cap (only trusted internal callers reach this service).
   */
  async reserve(email: string, clientIp: string, member: string): Promise<void> {
    const [outcome, retryMs] = await this.commands.verifyReserveEmail(
      VerifyKeys.cooldown(email),
      VerifyKeys.emailWindow(email),
      VerifyKeys.failures(email),
      this.cfg.resendIntervalSec * 1000,
      HOUR_MS,
      this.cfg.hourlyLimitPerEmail,
      member,
      FAILURE_WINDOW_MS,
      this.cfg.dailyFailureLimit,
    );
    if (outcome !== 0) throw limitRefusal(outcome as keyof typeof REFUSALS, retryMs);
    if (!clientIp.trim()) return;
    let ip: [number, number];
    try {
      ip = await this.commands.verifyReserveIp(VerifyKeys.ipWindow(clientIp), HOUR_MS, this.cfg.hourlyLimitPerIp, member);
    } catch (err) {
      await this.releaseEmail(email, member, false).catch(() => undefined);
      throw err;
    }
    if (ip[0] === 0) return;
    await this.releaseEmail(email, member, false);
    throw limitRefusal(3, ip[1]);
  }

  /** Hands back a whole reservation (nothing was sent): the cooldown and both hourly counts are as before it. */
  async release(email: string, clientIp: string, member: string): Promise<void> {
    await Promise.all([this.releaseEmail(email, member, false), clientIp.trim() ? this.commands.verifyReleaseIp(VerifyKeys.ipWindow(clientIp), member) : undefined]);
  }

  /** Lifts only the cooldown (the mail failed): the send still counts against both hourly caps. */
  async releaseCooldown(email: string, member: string): Promise<void> {
    await this.releaseEmail(email, member, true);
  }

  private async releaseEmail(email: string, member: string, keepCount: boolean): Promise<void> {
    await this.commands.verifyReleaseEmail(VerifyKeys.cooldown(email), VerifyKeys.emailWindow(email), member, keepCount ? '1' : '0');
  }
}
