/**
 * POST /api/register {email, code, name, password, nickname?} → 201 {uid, name, nickname}.
 * Order: fields and password rules → per-IP attempt limit → name free → code (consumed) → e-mail free →
 * argon2id → insert. The limit comes before the name check so NAME_TAKEN cannot list taken names quickly.
 * The e-mail check comes after the code on purpose: only the owner of a mailbox can learn that it is
 * registered, and the code it costs could not have been used for anything else.
 */
import type { RequestHandler } from 'express';
import { ipLimitKey, ParleyError } from '@parley/common';
import { clientIp } from '../client-ip';
import type { GateDeps } from '../gate-deps';
import { assertPasswordAcceptable, passwordProblems } from '../password-policy';
import { GateKeys, REGISTER_IP_WINDOW_MS } from '../rate-limit';
import { parseBody, schemas } from '../validation';

export function registerRoute(deps: GateDeps): RequestHandler {
  return async (req, res) => {
    const body = parseBody(schemas.register, req.body, (raw) => {
      const r = raw as { password?: unknown; name?: unknown } | null;
      return typeof r?.password === 'string' ? passwordProblems(r.password, { name: typeof r.name === 'string' ? r.name : undefined }) : [];
    });
    assertPasswordAcceptable(body.password, { name: body.name });
    await deps.limiter.take(GateKeys.registerIp(ipLimitKey(clientIp(req))), deps.config.gate.registerLimitPerIp, REGISTER_IP_WINDOW_MS);
    if (await deps.users.nameTaken(body.name)) throw new ParleyError('NAME_TAKEN');
    await deps.backends.checkCode(body.email, 'register', body.code);
    if (await deps.users.emailTaken(body.email)) throw new ParleyError('EMAIL_TAKEN');
    const passwordHash = await deps.hasher.hash(body.password);
    const nickname = body.nickname || body.name;
    const uid = await deps.users.insert({ name: body.name, email: body.email, passwordHash, nickname });
    deps.logger.info({ uid }, 'user registered');
    res.status(201).json({ uid, name: body.name, nickname });
  };
}
