/**
 * Authentication of the REST API (docs/http-api.md): `Authorization: Bearer <uid>.<token>`, the uid
 * and login token from POST /api/login — the same token a chat client sends in LoginReq, checked by
 * the same validateToken (constant time). Then the per-token limit gate.api_limit_per_minute.
 * Runs before the body is read, so an unauthenticated request costs no parsing.
 */
import type { RequestHandler, Response } from 'express';
import { ParleyError, tokenDigest, validateToken } from '@parley/common';
import type { GateDeps } from './gate-deps';
import { API_WINDOW_MS, GateKeys } from './rate-limit';

// The scheme is case-insensitive (RFC 7235); the credentials are `<uid>.<base64url token>`.
const BEARER = /^Bearer +([1-9][0-9]{0,15})\.([A-Za-z0-9_-]+) *$/i;
/** Hex characters of the token's SHA-256 kept in the limit's key: plenty to tell a user's tokens apart. */
const DIGEST_CHARS = 32;

interface Authenticated {
  uid: number;
  token: string;
}

/** The uid the request was authenticated as; only routes behind bearerAuth may ask. */
export function authenticatedUid(res: Response): number {
  const auth = res.locals.auth as Authenticated | undefined;
  if (!auth) throw new ParleyError('INTERNAL', undefined, { cause: new Error('route is not behind bearerAuth') });
  return auth.uid;
}

/** The uid and token the request was authenticated with (POST /api/logout revokes that token). */
export function authenticatedToken(res: Response): { uid: number; token: string } {
  const auth = res.locals.auth as Authenticated | undefined;
  if (!auth) throw new ParleyError('INTERNAL', undefined, { cause: new Error('route is not behind bearerAuth') });
  return auth;
}

export function bearerAuth(deps: GateDeps): RequestHandler {
  const { redis, limiter, config } = deps;
  return async (req, res, next) => {
    const match = BEARER.exec(req.get('authorization') ?? '');
    const uid = Number(match?.[1]);
    const token = match?.[2];
    if (!token || !Number.isSafeInteger(uid)) {
      res.set('WWW-Authenticate', 'Bearer realm="parley"');
      throw new ParleyError('UNAUTHENTICATED', 'Send Authorization: Bearer <uid>.<token> with the uid and token from POST /api/login');
    }
    if (!(await validateToken(redis, uid, token).catch(storeDown))) {
      res.set('WWW-Authenticate', 'Bearer realm="parley", error="invalid_token"');
      throw new ParleyError('TOKEN_INVALID');
    }
    await limiter.take(GateKeys.apiToken(uid, tokenDigest(token).slice(0, DIGEST_CHARS)), config.gate.apiLimitPerMinute, API_WINDOW_MS).catch(storeDown);
    res.locals.auth = { uid, token } satisfies Authenticated;
    next();
  };
}

/** Redis failures answer 503 UNAVAILABLE; our own refusals (RATE_LIMITED) pass unchanged. */
function storeDown(err: unknown): never {
  throw err instanceof ParleyError ? err : new ParleyError('UNAVAILABLE', 'Redis is unreachable', { cause: err });
}
