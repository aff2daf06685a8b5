/** GET /api/health → 200 {ok: true, mysql: true, redis: true, uptimeSec}, or 503 UNAVAILABLE naming what failed. */
import type { RequestHandler } from 'express';
import { ParleyError } from '@parley/common';
import type { GateDeps } from '../gate-deps';

const CHECK_TIMEOUT_MS = 2000;

function within<T>(promise: Promise<T>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  return Promise.race([promise.then(() => true, () => false), timeout]).finally(() => clearTimeout(timer));
}

export function healthRoute(deps: GateDeps): RequestHandler {
  const started = Date.now();
  return async (_req, res) => {
    const [mysql, redis] = await Promise.all([within(deps.users.ping(), CHECK_TIMEOUT_MS), within(deps.redis.ping(), CHECK_TIMEOUT_MS)]);
    if (!mysql || !redis) throw new ParleyError('UNAVAILABLE', 'A backing store is unreachable', { details: { mysql, redis } });
    res.status(200).json({ ok: true, mysql, redis, uptimeSec: Math.floor((Date.now() - started) / 1000) });
  };
}
