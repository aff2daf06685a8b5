/**
 * The express app of the gate: JSON under /api, one error mapper, JSON 404 for everything else.
 * Express 5 forwards a rejected async handler to the error middleware, so handlers simply throw.
 * /api/conversations, /api/groups and /api/session take the bearer token: authenticated (and limited)
 * before their bodies are read.
 */
import express, { type Express, type RequestHandler } from 'express';
import { MAX_MESSAGE_BODY_BYTES } from '@parley/protocol';
import { bearerAuth } from './bearer-auth';
import { trustProxySetting } from './client-ip';
import { errorMiddleware, notFound, requireJson } from './error-middleware';
import type { GateDeps } from './gate-deps';
import { jsonBody } from './json-body';
import { conversationsRouter } from './routes/conversations';
import { groupsRouter } from './routes/groups';
import { healthRoute } from './routes/health';
import { loginRoute } from './routes/login';
import { registerRoute } from './routes/register';
import { resetPasswordRoute } from './routes/reset-password';
import { sessionRoute } from './routes/session';
import { verifyCodeRoute } from './routes/verify-code';
import { securityHeaders } from './security-headers';

/**
 * POST /api/conversations/:id/messages takes a message body as large as TCP does (16 KiB of UTF-8),
 * and JSON escaping can make each byte six (\u00XX): its limit is never below that.
 */
export const MESSAGE_REQUEST_LIMIT_BYTES = 6 * MAX_MESSAGE_BODY_BYTES + 1024;

export function createApp(deps: GateDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('trust proxy', trustProxySetting(deps.config.gate.trustProxy));

  app.use(securityHeaders);

  const api = express.Router();
  api.use(['/conversations', '/groups', '/session'], bearerAuth(deps));
  api.use(requireJson);
  api.post('/conversations/:conversationId/messages', jsonBody(Math.max(deps.config.gate.bodyLimitBytes, MESSAGE_REQUEST_LIMIT_BYTES)));
  api.use(jsonBody(deps.config.gate.bodyLimitBytes));
  const track = (handler: RequestHandler) => deps.inFlight.track(handler);
  api.post('/verify-code', track(verifyCodeRoute(deps)));
  api.post('/register', track(registerRoute(deps)));
  api.post('/reset-password', track(resetPasswordRoute(deps)));
  api.post('/login', track(loginRoute(deps)));
  api.post('/session', track(sessionRoute(deps)));
  api.get('/health', healthRoute(deps));
  api.use('/conversations', conversationsRouter(deps));
  api.use('/groups', groupsRouter(deps));
  app.use('/api', api);

  app.use(notFound);
  app.use(errorMiddleware(deps.logger));
  return app;
}
