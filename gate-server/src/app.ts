/**
 * The express app of the gate: JSON under /api, one error mapper, JSON 404 for everything else.
 * Express 5 forwards a rejected async handler to the error middleware, so handlers simply throw.
 */
import express, { type Express } from 'express';
import { trustProxySetting } from './client-ip';
import { errorMiddleware, notFound, requireJson } from './error-middleware';
import type { GateDeps } from './gate-deps';
import { healthRoute } from './routes/health';
import { loginRoute } from './routes/login';
import { registerRoute } from './routes/register';
import { resetPasswordRoute } from './routes/reset-password';
import { verifyCodeRoute } from './routes/verify-code';

export function createApp(deps: GateDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('trust proxy', trustProxySetting(deps.config.gate.trustProxy));

  app.use((_req, res, next) => {
    res.set({ 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' });
    next();
  });

  const api = express.Router();
  api.use(requireJson);
  api.use(express.json({ limit: deps.config.gate.bodyLimitBytes, type: 'application/json', strict: true }));
  api.post('/verify-code', verifyCodeRoute(deps));
  api.post('/register', registerRoute(deps));
  api.post('/reset-password', resetPasswordRoute(deps));
  api.post('/login', loginRoute(deps));
  api.get('/health', healthRoute(deps));
  app.use('/api', api);

  app.use(notFound);
  app.use(errorMiddleware(deps.logger));
  return app;
}
