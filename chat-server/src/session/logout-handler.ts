import { ParleyError, revokeTokenIfCurrent, type Logger, type Redis } from '@parley/common';
import { KickReason, type LogoutReq, type LogoutResp } from '@parley/protocol';
import { kickConnection } from './login-handler';
import type { RequestContext } from './request-context';
import type { SessionRegistry } from './session-registry';
import type { SessionTokens } from './session-tokens';

export interface LogoutDeps {
  redis: Redis;
  registry: SessionRegistry;
  tokens: SessionTokens;
  logger: Logger;
}

/**
 * LogoutReq: revokes the session's login token (if it is still the user's current one) and ends
 * the session: LogoutResp, then Kick {reason: 'logged_out'} and the close. The token is dead for
 * every server and the REST API at once, since all of them check it in Redis.
 */
export function createLogoutHandler({ redis, registry, tokens, logger }: LogoutDeps): (ctx: RequestContext, req: LogoutReq) => Promise<Omit<LogoutResp, 'reqId'>> {
  return async (ctx) => {
    const conn = registry.bound(ctx.uid);
    const own = conn !== undefined && conn.sessionId === ctx.sessionId ? conn : undefined;
    const digest = own ? tokens.digestOf(own) : undefined;
    if (digest !== undefined) {
      try {
        await revokeTokenIfCurrent(redis, ctx.uid, { digest });
      } catch (err) {
        logger.warn({ err, uid: ctx.uid }, 'token revocation failed');
        throw new ParleyError('UNAVAILABLE', 'Logout is unavailable; retry later');
      }
    }
    logger.info({ uid: ctx.uid, session: ctx.sessionId, event: 'logout' }, 'logged out');
    // After the router has written LogoutResp (it writes once this promise settles, in a microtask).
    if (own) setImmediate(() => kickConnection(own, KickReason.LoggedOut));
    return {};
  };
}
