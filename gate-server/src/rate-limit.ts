/**
 * Fixed-window counters in Redis for the gate's own limits (verify-code limits live in the verify-server,
 * failed logins in login-failures.ts):
 * - login attempts per client IP bucket per minute (gate.login_limit_per_ip),
 * - registration attempts per client IP bucket per hour (gate.register_limit_per_ip),
 * - REST API requests per login token per minute (gate.api_limit_per_minute).
 * `take` checks and counts in one Lua script on one key, so concurrent requests cannot pass a limit
 * together; a refused request is not counted.
 */
import { ParleyError, type Redis } from '@parley/common';

// KEYS: counter. ARGV: limit, windowMs. Returns {1, 0} when taken, {0, retryAfterMs} when at the limit.
const TAKE_LUA = `
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
if n >= tonumber(ARGV[1]) then
  local ttl = redis.call('PTTL', KEYS[1])
  if ttl < 0 then
    redis.call('PEXPIRE', KEYS[1], ARGV[2])
    ttl = tonumber(ARGV[2])
  end
  return {0, ttl}
end
n = redis.call('INCR', KEYS[1])
if n == 1 or redis.call('PTTL', KEYS[1]) < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return {1, 0}
`;

type LimitCommands = {
  gateTake(key: string, limit: number, windowMs: number): Promise<[number, number]>;
};

/** Keys of the fixed windows; an IP is its limit bucket (common's ipLimitKey). */
export const GateKeys = {
  loginIp: (ipBucket: string): string => `gate:login-ip:${ipBucket || '-'}`,
  registerIp: (ipBucket: string): string => `gate:register-ip:${ipBucket || '-'}`,
  /** Keyed by a digest of the token, never the token itself: a Redis dump must not hold usable tokens. */
  apiToken: (uid: number, tokenDigest: string): string => `gate:api:${uid}:${tokenDigest}`,
} as const;

export const LOGIN_IP_WINDOW_MS = 60_000;
export const REGISTER_IP_WINDOW_MS = 3600_000;
export const API_WINDOW_MS = 60_000;

export class RateLimiter {
  private readonly commands: LimitCommands;

  constructor(private readonly redis: Redis) {
    redis.defineCommand('gateTake', { numberOfKeys: 1, lua: TAKE_LUA });
    this.commands = redis as unknown as LimitCommands;
  }

  /** Counts one unit against `key`, or throws RATE_LIMITED with details { retryAfterSec }. */
  async take(key: string, limit: number, windowMs: number): Promise<void> {
    const [taken, retryMs] = await this.commands.gateTake(key, limit, windowMs);
    if (taken === 1) return;
    const retryAfterSec = Math.max(1, Math.ceil(Number(retryMs) / 1000));
    throw new ParleyError('RATE_LIMITED', `Too many attempts; retry in ${retryAfterSec} s`, { details: { retryAfterSec } });
  }

  async reset(...keys: string[]): Promise<void> {
    if (keys.length > 0) await this.redis.del(...keys);
  }
}
