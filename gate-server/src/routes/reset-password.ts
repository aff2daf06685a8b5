/**
 * POST /api/reset-password {email, code, password} → 200 {ok: true}, the same whether or not an account
 * has that address. With a right code and an existing account: the new hash is stored, the login token is
 * deleted, live chat sessions are kicked, and the failed-login counters are cleared.
 * The new password is hashed in both cases so the answer takes as long either way.
 */
import type { RequestHandler } from 'express';
import { revokeToken } from '@parley/common';
import { KickReason } from '@parley/protocol';
import type { GateDeps } from '../gate-deps';
import { assertPasswordAcceptable, passwordProblems } from '../password-policy';
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
      // Sessions logged in with the old password end now; a failure here must not undo the reset.
      await deps.backends.kickSessions(user.uid, KickReason.PasswordChanged).catch((err: unknown) => deps.logger.warn({ err, uid: user.uid }, 'could not end chat sessions after a password reset'));
      await deps.loginFailures.clear(user.uid);
      deps.logger.info({ uid: user.uid }, 'password reset');
    }
    res.status(200).json({ ok: true });
  };
}
