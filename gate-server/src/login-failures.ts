/**
 * Failed logins, counted so that an attacker cannot turn the limit against the account's owner:
 * - per (account, client IP bucket): `gate.login_limit_per_account_ip` failures lock out that IP only;
 * - per account over all IPs: `gate.login_limit_per_account`, a much higher ceiling against guessing
 *   spread over many addresses.
 * The account is its uid when it exists (so its name and e-mail share one count), else the account
 * string as typed, normalised. Only real failures count — a wrong password, checked — never a login in
 * progress, so nothing is taken before the check and nothing can be left behind.
 * One Redis hash per account holds both counts (fields `ip:<bucket>` and `all`); it lives 15 minutes from
 * the account's first failure. Checking and counting is one Lua script on that one key.
 */
import { ipLimitKey, ParleyError, type ParleyConfig, type Redis } from '@parley/common';

export const LOGIN_FAILURE_WINDOW_MS = 15 * 60_000;

// KEYS: the account's hash. ARGV: ip field, per-IP limit, account limit, windowMs, record ('1' = count a failure).
// Returns {1, 0} when under both limits (and counts the failure when asked), {0, retryAfterMs} when at one.
const FAILURES_LUA = `
local ip = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
local all = tonumber(redis.call('HGET', KEYS[1], 'all') or '0')
if ip >= tonumber(ARGV[2]) or all >= tonumber(ARGV[3]) then
  local ttl = redis.call('PTTL', KEYS[1])
  if ttl < 0 then
    redis.call('PEXPIRE', KEYS[1], ARGV[4])
    ttl = tonumber(ARGV[4])
  end
  return {0, ttl}
end
if ARGV[5] == '1' then
  redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
  redis.call('HINCRBY', KEYS[1], 'all', 1)
  if redis.call('PTTL', KEYS[1]) < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[4]) end
end
return {1, 0}
`;

type FailureCommands = {
  gateLoginFailures(key: string, ipField: string, ipLimit: number, accountLimit: number, windowMs: number, record: '0' | '1'): Promise<[number, number]>;
};

/** Who a login is for: a uid, or (no such account) the normalised account string. */
export type LoginSubject = { uid: number } | { unknown: string };

export const LoginFailureKeys = {
  account: (subject: LoginSubject): string => ('uid' in subject ? `gate:login-fail:u:${subject.uid}` : `gate:login-fail:n:${subject.unknown}`),
} as const;

export class LoginFailures {
  private readonly commands: FailureCommands;

  constructor(
    private readonly redis: Redis,
    private readonly cfg: ParleyConfig['gate'],
  ) {
    redis.defineCommand('gateLoginFailures', { numberOfKeys: 1, lua: FAILURES_LUA });
    this.commands = redis as unknown as FailureCommands;
  }

  /** Throws RATE_LIMITED (details { retryAfterSec }) when `subject` is locked for `clientIp`. */
  async check(subject: LoginSubject, clientIp: string): Promise<void> {
    await this.run(subject, clientIp, false);
  }

  /**
   * The outcome of a checked password: a failure is counted, unless a limit was reached meanwhile (by
   * concurrent attempts), in which case right and wrong passwords alike are refused with RATE_LIMITED —
   * so an attempt past the limit can never tell whether its password was right.
   */
  async settle(subject: LoginSubject, clientIp: string, passwordOk: boolean): Promise<void> {
    await this.run(subject, clientIp, !passwordOk);
  }

  /** Forgets every failure of the account (after a password reset). */
  async clear(uid: number): Promise<void> {
    await this.redis.del(LoginFailureKeys.account({ uid }));
  }

  private async run(subject: LoginSubject, clientIp: string, record: boolean): Promise<void> {
    const { loginLimitPerAccountIp, loginLimitPerAccount } = this.cfg;
    const field = `ip:${ipLimitKey(clientIp) || '-'}`;
    const [open, retryMs] = await this.commands.gateLoginFailures(LoginFailureKeys.account(subject), field, loginLimitPerAccountIp, loginLimitPerAccount, LOGIN_FAILURE_WINDOW_MS, record ? '1' : '0');
    if (open === 1) return;
    const retryAfterSec = Math.max(1, Math.ceil(Number(retryMs) / 1000));
    throw new ParleyError('RATE_LIMITED', `Too many failed logins; retry in ${retryAfterSec} s`, { details: { retryAfterSec } });
  }
}
