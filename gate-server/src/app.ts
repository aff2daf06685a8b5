/**
 * The express app of the gate: JSON under /api, the web app's static files at / (web-app.ts), one error
 * mapper, JSON 404 for everything else.
 * Express 5 forwards a rejected async handler to the error middleware, so handlers simply throw.
 * /api/conversations, /api/groups, /api/logout and /api/session take the bearer token: authenticated (and limited)
 * before their bodies are read.
 */
import express, { type Express, type RequestHandler } from 'express';
import { MAX_MESSAGE_BODY_BYTES } from '@parley/protocol';
import { bearerAuth } from './bearer-auth';
import { trustProxySetting } from './client-ip';
import { errorMiddleware, notFound, refuseOptions, requireJson } from './error-middleware';
import type { GateDeps } from './gate-deps';
import { jsonBody } from './json-body';
import { conversationsRouter } from './routes/conversations';
import { groupsRouter } from './routes/groups';
import { healthRoute } from './routes/health';
import { loginRoute } from './routes/login';
import { logoutRoute } from './routes/logout';
import { registerRoute } from './routes/register';
import { resetPasswordRoute } from './routes/reset-password';
import { sessionRoute } from './routes/session';
import { verifyCodeRoute } from './routes/verify-code';
import { securityHeaders } from './security-headers';
import { webAppRouter } from './web-app';

/**
 * POST /api/conversations/:id/messages takes a message body as large as TCP does (16 KiB of UTF-8),
 * and JSON escaping can make each byte six (\u00XX): its limit is never below that.
 */
export const MESSAGE_REQUEST_LIMIT_BYTES = 6 * MAX_MESSAGE_BODY_BYTES + 1024;

/** `webRoot`: the built web app served at / (see web-app.ts), or undefined for the API alone. */
export function createApp(deps: GateDeps, webRoot?: string): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('trust proxy', trustProxySetting(deps.config.gate.trustProxy));

  app.use(securityHeaders);
  app.use(refuseOptions);

  const api = express.Router();
  api.use(['/conversations', '/groups', '/logout', '/session'], bearerAuth(deps));
  const track = (handler: RequestHandler) => deps.inFlight.track(handler);
  // Logout takes no body (any is ignored), so it comes before the JSON requirements.
  api.post('/logout', track(logoutRoute(deps)));
  api.use(requireJson);
  api.post('/conversations/:conversationId/messages', jsonBody(Math.max(deps.config.gate.bodyLimitBytes, MESSAGE_REQUEST_LIMIT_BYTES)));
  api.use(jsonBody(deps.config.gate.bodyLimitBytes));
  api.post('/verify-code', track(verifyCodeRoute(deps)));
  api.post('/register', track(registerRoute(deps)));
  api.post('/reset-password', track(resetPasswordRoute(deps)));
  api.post('/login', track(loginRoute(deps)));
  api.post('/session', track(sessionRoute(deps)));
  api.get('/health', healthRoute(deps));
  api.use('/conversations', conversationsRouter(deps));
  api.use('/groups', groupsRouter(deps));
  app.use('/api', api);
  if (webRoot !== undefined) app.use(webAppRouter(webRoot, deps.config));

  app.use(notFound);
  app.use(errorMiddleware(deps.logger));
  return app;
}
