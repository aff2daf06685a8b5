/**
 * The credential check of POST /api/login, in this order:
 * 1. the per-IP attempt limit (every attempt counts; IPv6 by /64);
 * 2. the account: a user name, or an e-mail address when it holds "@";
 * 3. the failed-login limits of that account (login-failures.ts) — refused before any hashing;
 * 4. one argon2 verification, against a dummy hash when the account does not exist (same work, same
 *    answer: INVALID_CREDENTIALS for a wrong password and an unknown account alike);
 * 5. the outcome counted (a failure) or re-checked (a success), atomically;
 * 6. on success, a stored hash weaker than the configured cost is replaced by a new one.
 */
import { ipLimitKey, ParleyError } from '@parley/common';
import { tryNormalizeEmail } from '@parley/verify-server';
import type { GateDeps } from './gate-deps';
import type { LoginSubject } from './login-failures';
import { GateKeys, LOGIN_IP_WINDOW_MS } from './rate-limit';
import type { UserCredentials } from './user-repository';

export async function authenticate(deps: GateDeps, account: string, password: string, clientIp: string): Promise<UserCredentials> {
  const { limiter, users, hasher, loginFailures, config } = deps;
  await limiter.take(GateKeys.loginIp(ipLimitKey(clientIp)), config.gate.loginLimitPerIp, LOGIN_IP_WINDOW_MS);

  const isEmail = account.includes('@');
  const normalized = isEmail ? (tryNormalizeEmail(account) ?? account.toLowerCase()) : account.toLowerCase();
  const user = isEmail ? await users.findByEmail(normalized) : await users.findByName(account);
  const subject: LoginSubject = user ? { uid: user.uid } : { unknown: normalized };
  await loginFailures.check(subject, clientIp);

  const ok = user ? await hasher.verify(user.passwordHash, password) : await hasher.verifyDummy(password);
  await loginFailures.settle(subject, clientIp, ok);
  if (!user || !ok) throw new ParleyError('INVALID_CREDENTIALS');
  await upgradeHash(deps, user, password);
  return user;
}

/** Rehashes at the configured cost when the stored hash is weaker; a failure here never fails the login. */
async function upgradeHash(deps: GateDeps, user: UserCredentials, password: string): Promise<void> {
  if (!deps.hasher.needsRehash(user.passwordHash)) return;
  try {
    const upgraded = await deps.hasher.hash(password);
    // Only over the hash just verified: a password reset in the meantime wins.
    if (await deps.users.replacePasswordHash(user.uid, user.passwordHash, upgraded)) deps.logger.info({ uid: user.uid }, 'password hash upgraded to the configured cost');
  } catch (err) {
    deps.logger.warn({ uid: user.uid, err: err instanceof Error ? err.message : String(err) }, 'password hash not upgraded');
  }
}
