/** POST /api/verify-code {email, purpose} → the verify-server mails a code (its limits apply). */
import type { RequestHandler } from 'express';
import { clientIp } from '../client-ip';
import type { GateDeps } from '../gate-deps';
import { parseBody, schemas } from '../validation';

export function verifyCodeRoute(deps: GateDeps): RequestHandler {
  return async (req, res) => {
    const body = parseBody(schemas.verifyCode, req.body);
    // Sent whether or not an account exists for the address: the answer must not reveal it.
    const reply = await deps.backends.getVerifyCode(body.email, body.purpose, clientIp(req));
    res.status(200).json({ sent: true, ttlSec: reply.ttlSec, resendAfterSec: reply.resendAfterSec });
  };
}
