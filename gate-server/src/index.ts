/**
 * @parley/gate-server: the HTTP front door (docs/http-api.md). `startGateServer(ctx)` runs it in-process
 * (tests) or under `runServer` (src/main.ts); `ready.port` is the port actually bound.
 */
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createMysqlPool, createRedis, serverTls, TLS_HANDSHAKE_TIMEOUT_MS, type RunningServer, type ServerContext } from '@parley/common';
import { createApp } from './app';
import { Backends } from './backends';
import { ChatApi } from './chat-api';
import { ChatServerSelector } from './chat-server-selector';
import type { GateDeps } from './gate-deps';
import { createHashing } from './hashing';
import { InFlight } from './in-flight';
import { LoginFailures } from './login-failures';
import { RateLimiter } from './rate-limit';
import { UserRepository } from './user-repository';
import { webAppRoot } from './web-app';

export { createApp } from './app';
export { Backends, type ChatServerChoice } from './backends';
export { ChatApi, type ApiRequestId, type ApiResponse } from './chat-api';
export { ChatServerSelector, type ChatTarget } from './chat-server-selector';
export { normalizeIp } from './client-ip';
export type { GateDeps } from './gate-deps';
export { libuvHashEngine, type HashEngine } from './hash-engine';
export { HashSlots } from './hash-slots';
export { HashWorkers } from './hash-workers';
export { createHashing, type Hashing, type HashingConfig } from './hashing';
export { LoginFailureKeys, LoginFailures, type LoginSubject } from './login-failures';
export { PasswordHasher, type HashCost } from './password-hasher';
export { passwordProblems, PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from './password-policy';
export { GateKeys, RateLimiter } from './rate-limit';
export { UserRepository, type PublicUser } from './user-repository';
export { webAppCsp, webAppRoot } from './web-app';

/** How long in-flight requests get to finish on stop before their connections are cut. */
const STOP_GRACE_MS = 5000;
const IDLE_SWEEP_MS = 50;

export async function startGateServer(ctx: ServerContext): Promise<RunningServer> {
  const { config, logger } = ctx;
  const tls = serverTls('[gate]', config.gate);
  // trace off: mysql2 otherwise captures a stack trace for every query (an Error object per login),
  // only to add the caller's frames to a failed query's error.
  const pool = createMysqlPool(config.mysql, { trace: false });
  const redis = createRedis(config.redis, logger);
  const backends = new Backends(config, redis);
  const { hasher, slots, threads: hashThreads } = createHashing(config.gate);
  const selector = new ChatServerSelector({ redis, configured: config.chatServers, reportIntervalSec: config.status.reportIntervalSec });
  const chatApi = new ChatApi(selector, backends.credentials, logger);
  const inFlight = new InFlight();
  const loginFailures = new LoginFailures(redis, config.gate);
  const deps: GateDeps = { config, logger, pool, redis, users: new UserRepository(pool), hasher, limiter: new RateLimiter(redis), loginFailures, backends, chatApi, inFlight };
  const webRoot = webAppRoot(config);
  if (webRoot === undefined) logger.warn('the web app is not built (npm run build) or gate.web_root has no index.html: / answers 404');
  const app = createApp(deps, webRoot);
  const server = tls ? createHttpsServer({ ...tls, minVersion: 'TLSv1.2', handshakeTimeout: TLS_HANDSHAKE_TIMEOUT_MS }, app) : createServer(app);
  // Slow-loris guards: a request has 15 s for its headers and 30 s in total.
  server.headersTimeout = 15_000;
  server.requestTimeout = 30_000;
  server.keepAliveTimeout = 5_000;

  const release = async () => {
    backends.close();
    chatApi.close();
    await Promise.allSettled([pool.end(), redis.quit().catch(() => redis.disconnect()), hashThreads.close()]);
  };
  const origin = (port: number) => `${tls ? 'https' : 'http'}://${config.gate.host === '0.0.0.0' ? '127.0.0.1' : config.gate.host}:${port}`;
  let port: number;
  try {
    await hasher.warmUp();
    port = await new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      // A deep accept queue (the kernel caps it at net.core.somaxconn) so a login storm is queued, not dropped.
      server.listen({ port: config.gate.port, host: config.gate.host, backlog: 4096 }, () => {
        server.off('error', reject);
        resolve((server.address() as AddressInfo).port);
      });
    });
  } catch (err) {
    await release();
    throw err;
  }
  return {
    ready: { host: config.gate.host, port, url: `${origin(port)}/api`, ...(webRoot ? { web: `${origin(port)}/` } : {}) },
    async stop() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // A keep-alive connection whose request finishes during the stop turns idle: close it then too.
      server.closeIdleConnections();
      const idle = setInterval(() => server.closeIdleConnections(), IDLE_SWEEP_MS);
      const hard = setTimeout(() => server.closeAllConnections(), STOP_GRACE_MS);
      // Logins waiting for a hash are answered UNAVAILABLE now rather than hashed; running ones finish.
      await slots.close();
      await closed;
      clearTimeout(hard);
      clearInterval(idle);
      // Handlers that outlived their connections still count a failure or store a hash.
      await inFlight.settled(STOP_GRACE_MS);
      await release();
    },
  };
}
