/**
 * The one place errors become HTTP answers: every failure is JSON `{ error: { code, message, details? } }`
 * with the status from the shared error table (ParleyError.httpStatus) — never HTML, never a stack.
 * Only INTERNAL is logged as an error; a refused request is the client's problem and logged at debug.
 */
import type { ErrorRequestHandler, RequestHandler } from 'express';
import { ParleyError, toParleyError, type Logger } from '@parley/common';

/** Codes whose details carry { retryAfterSec }, answered with a Retry-After header too. */
const RETRY_CODES = new Set(['RATE_LIMITED', 'CODE_COOLDOWN', 'CODE_HOURLY_LIMIT', 'CODE_IP_LIMIT', 'CODE_FAILURE_LIMIT']);

/** The Retry-After seconds of a refusal that says when to come back (OVERLOADED's milliseconds rounded up). */
function retryAfterSec(perr: ParleyError): number | undefined {
  const details = perr.details as { retryAfterSec?: unknown; retryAfterMs?: unknown } | undefined;
  if (perr.code === 'OVERLOADED' && typeof details?.retryAfterMs === 'number') return Math.max(1, Math.ceil(details.retryAfterMs / 1000));
  if (RETRY_CODES.has(perr.code) && typeof details?.retryAfterSec === 'number') return details.retryAfterSec;
  return undefined;
}

export function errorMiddleware(logger: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    // The router decodes path parameters itself and throws a URIError for `%ZZ`: the client's fault.
    const perr = err instanceof URIError ? new ParleyError('BAD_REQUEST', 'The path holds malformed percent-encoding') : toParleyError(err);
    if (perr.code === 'INTERNAL') logger.error({ err, method: req.method, path: req.path }, 'request failed');
    else if (perr.code === 'UNAVAILABLE') logger.warn({ err: perr.message, method: req.method, path: req.path }, 'backing service unavailable');
    else logger.debug({ code: perr.code, method: req.method, path: req.path.slice(0, 200) }, 'request refused');
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const retryAfter = retryAfterSec(perr);
    if (retryAfter !== undefined) res.set('Retry-After', String(retryAfter));
    res.status(perr.httpStatus).json({ error: perr.toJSON() });
  };
}

/**
 * OPTIONS is routed nowhere: without this express would answer it itself, 200 with a plain-text
 * `Allow` list, the one answer that was not JSON. (No cross-origin caller is served, so no preflight.)
 */
export const refuseOptions: RequestHandler = (req, _res, next) => {
  next(req.method === 'OPTIONS' ? new ParleyError('NOT_FOUND', `No route OPTIONS ${req.path.slice(0, 200)}`) : undefined);
};

/** Unknown routes and methods: 404 NOT_FOUND as JSON. */
export const notFound: RequestHandler = (req, _res, next) => {
  next(new ParleyError('NOT_FOUND', `No route ${req.method} ${req.path.slice(0, 200)}`));
};

/** Bodies must be declared JSON; anything else is refused before it is read. */
export const requireJson: RequestHandler = (req, _res, next) => {
  if (req.method === 'POST' || req.method === 'PUT' || req.method === 'PATCH') {
    if (!req.is('application/json')) {
      next(new ParleyError('BAD_REQUEST', 'Content-Type must be application/json'));
      return;
    }
  }
  next();
};
