/**
 * The limits on sending codes, kept in Redis so every verify-server instance shares them:
 * - one code per address per `resendIntervalSec` (CODE_COOLDOWN),
 * - `hourlyLimitPerEmail` codes per address in any 60 minutes (CODE_HOURLY_LIMIT),
 * - `hourlyLimitPerIp` codes per client IP in any 60 minutes (CODE_IP_LIMIT).
 * Hourly caps are sliding windows (a sorted set of send times per address / IP). All three are checked and
 * taken in one Lua script, so concurrent requests cannot slip past a cap; a refused request takes nothing.
 * A reservation can be handed back (`release`) when the mail could not be sent.
 */
import { ParleyError, type ParleyConfig, type Redis } from '@parley/common';

const HOUR_MS = 3600_000;

/** Private keys of the verify-server (relative to the configured prefix). */
export const LimitKeys = {
  cooldown: (email: string): string => `verify:cooldown:${email}`,
  emailWindow: (email: string): string => `verify:hourly:email:${email}`,
  ipWindow: (ip: string): string => `verify:hourly:ip:${ip}`,
} as const;

// KEYS: cooldown, email window, ip window. ARGV: cooldownMs, windowMs, emailLimit, ipLimit, member, useIp.
// Returns {0, 0} when reserved, or {1 = cooldown | 2 = email cap | 3 = ip cap, retryAfterMs}.
const RESERVE_LUA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local cooldownMs = tonumber(ARGV[1])
local windowMs = tonumber(ARGV[2])
local useIp = ARGV[6] == '1'
if cooldownMs > 0 then
  local ttl = redis.call('PTTL', KEYS[1])
  if ttl > 0 then return {1, ttl} end
end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - windowMs)
if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[3]) then
  local oldest = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
  return {2, tonumber(oldest[2]) + windowMs - now}
end
if useIp then
  redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now - windowMs)
  if redis.call('ZCARD', KEYS[3]) >= tonumber(ARGV[4]) then
    local oldest = redis.call('ZRANGE', KEYS[3], 0, 0, 'WITHSCORES')
    return {3, tonumber(oldest[2]) + windowMs - now}
  end
end
if cooldownMs > 0 then redis.call('SET', KEYS[1], ARGV[5], 'PX', cooldownMs) end
redis.call('ZADD', KEYS[2], now, ARGV[5])
redis.call('PEXPIRE', KEYS[2], windowMs)
if useIp then
  redis.call('ZADD', KEYS[3], now, ARGV[5])
  redis.call('PEXPIRE', KEYS[3], windowMs)
end
return {0, 0}
`;

// KEYS: cooldown, email window, ip window. ARGV: member. Gives back exactly what RESERVE took for `member`.
const RELEASE_LUA = `
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[1])
return 1
`;

type LimitCommands = {
  verifyReserve(k1: string, k2: string, k3: string, ...argv: (string | number)[]): Promise<[number, number]>;
  verifyRelease(k1: string, k2: string, k3: string, member: string): Promise<number>;
};

/** The IP bucket key part: IPv4-mapped IPv6 folded to IPv4; empty = no IP known (no per-IP cap). */
function ipKeyPart(ip: string): string {
  const trimmed = ip.trim().toLowerCase();
  return trimmed.startsWith('::ffff:') && trimmed.includes('.') ? trimmed.slice(7) : trimmed;
}

export class CodeLimits {
  private readonly commands: LimitCommands;

  constructor(
    redis: Redis,
    private readonly cfg: ParleyConfig['verify'],
  ) {
    redis.defineCommand('verifyReserve', { numberOfKeys: 3, lua: RESERVE_LUA });
    redis.defineCommand('verifyRelease', { numberOfKeys: 3, lua: RELEASE_LUA });
    this.commands = redis as unknown as LimitCommands;
  }

  /**
   * Takes one send for `email` from `clientIp` under the token `member`, or throws the refusal
   * (CODE_COOLDOWN / CODE_HOURLY_LIMIT / CODE_IP_LIMIT, details { retryAfterSec }).
   * An empty clientIp skips the per-IP cap (only trusted internal callers reach this service).
   */
  async reserve(email: string, clientIp: string, member: string): Promise<void> {
    const ip = ipKeyPart(clientIp);
    const [outcome, retryMs] = await this.commands.verifyReserve(
      LimitKeys.cooldown(email),
      LimitKeys.emailWindow(email),
      LimitKeys.ipWindow(ip || '-'),
      this.cfg.resendIntervalSec * 1000,
      HOUR_MS,
      this.cfg.hourlyLimitPerEmail,
      this.cfg.hourlyLimitPerIp,
      member,
      ip ? '1' : '0',
    );
    if (outcome === 0) return;
    const details = { retryAfterSec: Math.max(1, Math.ceil(Number(retryMs) / 1000)) };
    if (outcome === 1) throw new ParleyError('CODE_COOLDOWN', `Wait ${details.retryAfterSec} s before asking for another code`, { details });
    if (outcome === 2) throw new ParleyError('CODE_HOURLY_LIMIT', undefined, { details });
    throw new ParleyError('CODE_IP_LIMIT', undefined, { details });
  }

  /** Hands back a reservation (the mail failed): the cooldown and both hourly counts are as before it. */
  async release(email: string, clientIp: string, member: string): Promise<void> {
    await this.commands.verifyRelease(LimitKeys.cooldown(email), LimitKeys.emailWindow(email), LimitKeys.ipWindow(ipKeyPart(clientIp) || '-'), member);
  }
}
