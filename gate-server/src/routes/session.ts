/**
 * POST /api/session (Authorization: Bearer <uid>.<token>) → 200, the same answer as POST /api/login.
 * A client that lost its chat server (killed, draining) asks here for a (possibly different) live one
 * without keeping the password: the valid token proves who it is, and the answer carries a new token
 * (the old one stops working, as with every login).
 */
import type { RequestHandler } from 'express';
import { authenticatedUid } from '../bearer-auth';
import type { GateDeps } from '../gate-deps';
import { loginAnswer } from './login';

export function sessionRoute(deps: GateDeps): RequestHandler {
  return async (_req, res) => {
    const uid = authenticatedUid(res);
    res.status(200).json(await loginAnswer(deps, uid));
  };
}
