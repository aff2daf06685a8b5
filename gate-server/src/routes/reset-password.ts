/**
 * POST /api/reset-password {email, code, password} → 200 {ok: true}, the same whether or not an account
 * has that address. With a right code and an existing account: the new hash is stored, the login token is
 * deleted (so existing chat logins cannot be resumed with it) and the failed-login counters are cleared.
 * The new password is hashed in both cases so the answer takes as long either way.
 */
import type { RequestHandler } from 'express';
import { revokeToken } from '@parley/common';
import type { GateDeps } from '../gate-deps';
import { assertPasswordAcceptable, passwordProblems } from '../password-policy';
import { GateKeys } from '../rate-limit';
import { parseBody, schemas } from '../validation';

export function resetPasswordRoute(deps: GateDeps): RequestHandler {
  return async (req, res) => {
    const body = parseBody(schemas.resetPassword, req.body, (raw) => {
      const r = raw as { password?: unknown } | null;
      return typeof r?.password === 'string' ? passwordProblems(r.password) : [];
    });
    assertPasswordAcceptable(body.password);
    await deps.backends.checkCode(body.email, 'reset', body.code);
    const [user, passwordHash] = await Promise.all([deps.users.findByEmail(body.email), deps.hasher.hash(body.password)]);
    if (user) {
      await deps.users.updatePasswordHash(user.uid, passwordHash);
      await revokeToken(deps.redis, user.uid);
      await deps.limiter.reset(GateKeys.loginFailures(user.name), GateKeys.loginFailures(user.email));
      deps.logger.info({ uid: user.uid }, 'password reset');
    }
    res.status(200).json({ ok: true });
  };
}
