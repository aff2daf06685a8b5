/**
 * POST /api/logout (Authorization: Bearer <uid>.<token>, no body needed) → 200 {ok: true}.
 * Revokes the token it was called with (only if it is still the user's current one, atomically) and
 * ends the user's chat session with Kick {reason: 'logged_out'}. A user has one token and one chat
 * session at a time, so this logs the account out on every device (docs/security.md, "Logout").
 */
import type { RequestHandler } from 'express';
import { ParleyError, revokeTokenIfCurrent } from '@parley/common';
import { KickReason } from '@parley/protocol';
import { authenticatedToken } from '../bearer-auth';
import type { GateDeps } from '../gate-deps';

export function logoutRoute(deps: GateDeps): RequestHandler {
  return async (_req, res) => {
    const { uid, token } = authenticatedToken(res);
    const revoked = await revokeTokenIfCurrent(deps.redis, uid, { token }).catch((err: unknown) => {
      throw new ParleyError('UNAVAILABLE', 'Redis is unreachable', { cause: err });
    });
    // The token is dead everywhere already; a session that cannot be reached now ends at its next
    // reconnect, which needs a valid token.
    if (revoked) await deps.backends.kickSessions(uid, KickReason.LoggedOut).catch((err: unknown) => deps.logger.warn({ err, uid }, 'could not end chat sessions after a logout'));
    deps.logger.info({ uid, event: 'logout' }, 'logged out');
    res.status(200).json({ ok: true });
  };
}
