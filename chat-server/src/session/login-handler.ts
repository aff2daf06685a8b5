import { randomBytes } from 'node:crypto';
import { toParleyError, tokenDigest, validateToken, type Logger, type Redis } from '@parley/common';
import { encodeFrame, KickReason, MsgId, type LoginReq } from '@parley/protocol';
import type { ClientConnection } from './client-connection';
import type { PeerClients } from '../cluster/peer-clients';
import type { RouteStore } from '../cluster/route-store';
import type { SessionTokens } from './session-tokens';
import type { SessionRegistry } from './session-registry';

export interface LoginDeps {
  serverId: string;
  heartbeatSec: number;
  redis: Redis;
  registry: SessionRegistry;
  routes: RouteStore;
  /** Where the session's token digest is kept for LogoutReq. */
  tokens?: SessionTokens;
  peers: PeerClients;
  /** Which peers are down: an old session on one of those needs no Kick (it died with its server). */
  liveness?: { isDown(serverId: string): boolean };
  logger: Logger;
  /** False once the server is draining: no new session may start. */
  accepting: () => boolean;
  /** Tests only: runs after the first token check, to order a token revocation against a login. */
  afterTokenCheck?: (uid: number) => Promise<void>;
}

const TOKEN_INVALID = { code: 'TOKEN_INVALID', message: 'The login token is invalid or has expired' } as const;

/** 12 characters of base64url: unique enough to tell two sessions of one user apart. */
export function newSessionId(): string {
  return randomBytes(9).toString('base64url');
}

/** Sends Kick and closes; the client must not reconnect on its own. */
export function kickConnection(conn: ClientConnection, reason: string = KickReason.LoggedInElsewhere): void {
  conn.close(encodeFrame(MsgId.Kick, { reason }));
}

/**
 * LoginReq: checks the token in Redis, makes this connection the user's only session in the
 * cluster (kicking an older one here or, through its route, on another chat server), checks the
 * token again once the route points here (a reset that revoked it in between kicked the old
 * route, not us) and answers LoginResp, so anything sent to the user from then on finds it.
 */
export class LoginHandler {
  constructor(private readonly deps: LoginDeps) {}

  readonly login = async (conn: ClientConnection, req: LoginReq): Promise<boolean> => {
    const { deps } = this;
    let valid: boolean;
    try {
      valid = await validateToken(deps.redis, req.uid, req.token);
    } catch (err) {
      deps.logger.warn({ err, uid: req.uid }, 'token check failed');
      conn.closeWithError({ reqId: req.reqId, code: 'UNAVAILABLE', message: 'Login is unavailable; retry later' });
      return false;
    }
    if (conn.state !== 'logging-in') return false;
    if (!deps.accepting()) {
      conn.closeWithError({ reqId: req.reqId, code: 'UNAVAILABLE', message: 'This server is shutting down; log in again at the gate' });
      return false;
    }
    if (!valid) {
      deps.logger.info({ uid: req.uid, remote: conn.remote, event: 'login_refused' }, 'login refused: bad token');
      conn.closeWithError({ reqId: req.reqId, ...TOKEN_INVALID });
      return false;
    }
    if (deps.afterTokenCheck) await deps.afterTokenCheck(req.uid);

    const sessionId = newSessionId();
    conn.bindSession(req.uid, sessionId, deps.serverId);
    // Bind locally before the route names us, so a Kick for this uid that follows the route finds us.
    const displaced = deps.registry.bind(conn);
    if (displaced) kickConnection(displaced);

    const claim = deps.routes.claim(req.uid, sessionId);
    conn.routeClaim = claim.catch(() => undefined);
    let previous;
    try {
      previous = await claim;
    } catch (err) {
      deps.logger.error({ err: toParleyError(err).cause ?? err, uid: req.uid }, 'route claim failed');
      conn.closeWithError({ reqId: req.reqId, code: 'UNAVAILABLE', message: 'Login is unavailable; retry later' });
      return false;
    }
    conn.routeRefreshedAt = Date.now();
    if (previous && previous.server !== deps.serverId && !deps.liveness?.isDown(previous.server)) {
      // Not awaited: a dead or slow old server must not hold up this login.
      const { server, session } = previous;
      deps.peers.kick(server, req.uid, sessionId, KickReason.LoggedInElsewhere).then(
        (kicked) => deps.logger.debug({ uid: req.uid, server, session, kicked }, 'remote session kicked'),
        (err: unknown) => deps.logger.warn({ uid: req.uid, server, err: toParleyError(err).message }, 'remote kick failed'),
      );
    }
    // A password reset (or logout) that revoked the token after the first check kicked whatever the
    // route named then, not us: check again now that the route names us. Its kick, or this check, ends us.
    let stillValid: boolean;
    try {
      stillValid = await validateToken(deps.redis, req.uid, req.token);
    } catch (err) {
      deps.logger.warn({ err, uid: req.uid }, 'token re-check failed');
      conn.closeWithError({ reqId: req.reqId, code: 'UNAVAILABLE', message: 'Login is unavailable; retry later' });
      return false;
    }
    if (conn.state !== 'logging-in') return false;
    if (!stillValid) {
      deps.logger.info({ uid: req.uid, remote: conn.remote, event: 'login_refused' }, 'login refused: token revoked during login');
      conn.closeWithError({ reqId: req.reqId, ...TOKEN_INVALID });
      return false;
    }
    deps.tokens?.remember(conn, tokenDigest(req.token));
    conn.send(MsgId.LoginResp, {
      reqId: req.reqId,
      uid: req.uid,
      serverId: deps.serverId,
      serverTime: Date.now(),
      heartbeatSec: deps.heartbeatSec,
    });
    deps.logger.debug({ uid: req.uid, session: sessionId, event: 'login' }, 'logged in');
    return true;
  };
}
