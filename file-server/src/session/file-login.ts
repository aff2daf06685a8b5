import { validateToken, type Logger, type Redis } from '@parley/common';
import { MsgId, type LoginReq } from '@parley/protocol';
import type { FileConnection } from './file-connection';

export interface FileLoginDeps {
  serverId: string;
  heartbeatSec: number;
  redis: Redis;
  logger: Logger;
  /** False once the server is draining. */
  accepting: () => boolean;
}

/**
 * LoginReq on a file connection: the same token as the chat login (RedisKeys.token, checked in
 * constant time by validateToken), the same answers. Unlike chat, nothing is claimed or kicked: a
 * user may hold any number of file connections.
 */
export function fileLogin(deps: FileLoginDeps): (conn: FileConnection, req: LoginReq) => Promise<boolean> {
  return async (conn, req) => {
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
      conn.closeWithError({ reqId: req.reqId, code: 'UNAVAILABLE', message: 'This server is shutting down; ask the gate for another' });
      return false;
    }
    if (!valid) {
      conn.logger.info({ uid: req.uid, remote: conn.remote, event: 'login_refused' }, 'login refused: bad token');
      conn.closeWithError({ reqId: req.reqId, code: 'TOKEN_INVALID', message: 'The login token is invalid or has expired' });
      return false;
    }
    conn.bindUser(req.uid);
    conn.send(MsgId.LoginResp, { reqId: req.reqId, uid: req.uid, serverId: deps.serverId, serverTime: Date.now(), heartbeatSec: deps.heartbeatSec });
    conn.logger.debug({ event: 'login' }, 'logged in');
    return true;
  };
}
