/**
 * POST /api/login {account, password} → 200 {uid, token, host, tcpPort, tokenTtlSec, serverId, fileHost?, filePort?, fileServerId?}
 * (the file fields only while a file server is live).
 * `account` is the user name or the e-mail address (it holds "@" → e-mail).
 * Limits first (per IP, then failures per account), then one argon2 verification — against a dummy hash
 * when the account does not exist — and INVALID_CREDENTIALS for both wrong password and unknown account.
 */
import type { RequestHandler } from 'express';
import { ParleyError } from '@parley/common';
import { tryNormalizeEmail } from '@parley/verify-server';
import { clientIp } from '../client-ip';
import type { GateDeps } from '../gate-deps';
import { GateKeys, LOGIN_ACCOUNT_WINDOW_MS, LOGIN_IP_WINDOW_MS } from '../rate-limit';
import type { UserCredentials } from '../user-repository';
import { parseBody, schemas } from '../validation';

export function loginRoute(deps: GateDeps): RequestHandler {
  const { limiter, users, hasher, config } = deps;
  return async (req, res) => {
    const body = parseBody(schemas.login, req.body);
    await limiter.take(GateKeys.loginIp(clientIp(req)), config.gate.loginLimitPerIp, LOGIN_IP_WINDOW_MS);

    const isEmail = body.account.includes('@');
    const account = isEmail ? (tryNormalizeEmail(body.account) ?? body.account.toLowerCase()) : body.account;
    const failuresKey = GateKeys.loginFailures(account);
    await limiter.take(failuresKey, config.gate.loginLimitPerAccount, LOGIN_ACCOUNT_WINDOW_MS);

    let user: UserCredentials | undefined;
    try {
      user = isEmail ? await users.findByEmail(account) : await users.findByName(account);
    } catch (err) {
      await limiter.giveBack(failuresKey).catch(() => undefined);
      throw err;
    }
    const ok = user ? await hasher.verify(user.passwordHash, body.password) : await hasher.verifyDummy(body.password);
    if (!user || !ok) throw new ParleyError('INVALID_CREDENTIALS');
    // A success is not a failure: hand back the unit taken above.
    await limiter.giveBack(failuresKey);

    const chat = await deps.backends.getChatServer(user.uid);
    const file = chat.fileServer ? { fileHost: chat.fileServer.host, filePort: chat.fileServer.tcpPort, fileServerId: chat.fileServer.id } : {};
    res.status(200).json({ uid: user.uid, token: chat.token, host: chat.host, tcpPort: chat.tcpPort, tokenTtlSec: chat.tokenTtlSec, serverId: chat.serverId, ...file });
  };
}
