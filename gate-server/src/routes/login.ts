/**
 * POST /api/login {account, password} → 200 {uid, token, host, tcpPort, wsPort?, tokenTtlSec, serverId, fileHost?, filePort?, fileWsPort?, fileServerId?}
 * (the file fields only while a file server is live; each ws port only when that server listens for WebSocket).
 * `account` is the user name or the e-mail address (it holds "@" → e-mail). The limits and the password
 * check are authenticate.ts; then the status-server picks a chat server and issues the token.
 */
import type { RequestHandler } from 'express';
import { authenticate } from '../authenticate';
import { clientIp } from '../client-ip';
import type { GateDeps } from '../gate-deps';
import { parseBody, schemas } from '../validation';

export function loginRoute(deps: GateDeps): RequestHandler {
  return async (req, res) => {
    const body = parseBody(schemas.login, req.body);
    const user = await authenticate(deps, body.account, body.password, clientIp(req));

    res.status(200).json(await loginAnswer(deps, user.uid));
  };
}

/** A chat server (and file server, when one is live) for uid with a new token: login's and /api/session's answer. */
export async function loginAnswer(deps: GateDeps, uid: number): Promise<Record<string, unknown>> {
  const chat = await deps.backends.getChatServer(uid);
  const f = chat.fileServer;
  const file = f ? { fileHost: f.host, filePort: f.tcpPort, ...(f.wsPort > 0 ? { fileWsPort: f.wsPort } : {}), fileServerId: f.id } : {};
  const ws = chat.wsPort > 0 ? { wsPort: chat.wsPort } : {};
  // Clients must speak TLS (and wss://) to servers that serve it: say so rather than let them guess.
  const tls = { ...(deps.config.chat.tlsCertFile ? { tls: true } : {}), ...(f && deps.config.file.tlsCertFile ? { fileTls: true } : {}) };
  return { uid, token: chat.token, host: chat.host, tcpPort: chat.tcpPort, ...ws, tokenTtlSec: chat.tokenTtlSec, serverId: chat.serverId, ...file, ...tls };
}
