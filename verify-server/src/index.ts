/**
 * @parley/verify-server: e-mail verification codes over gRPC (proto/verify.proto).
 * `startVerifyServer(ctx)` runs it in-process (tests) or under `runServer` (src/main.ts).
 */
import { Server } from '@grpc/grpc-js';
import { bindServer, clusterCredentials, createRedis, unaryHandler, shutdownServer, verifyPackage, type RunningServer, type ServerContext, type VerifyServiceHandlers } from '@parley/common';
import { CodeLimits } from './code-limits';
import { CodeStore } from './code-store';
import { createMailer } from './mailer';
import { VerifyService } from './verify-service';

export { emailProblem, MAX_EMAIL_LENGTH, normalizeEmail, tryNormalizeEmail } from './email-address';
export { CODE_LENGTH, type Purpose } from './code-store';
export { VerifyKeys } from './verify-keys';
export { composeCodeMail } from './mailer';

export async function startVerifyServer(ctx: ServerContext): Promise<RunningServer> {
  const { config, logger } = ctx;
  // The mailer first: a refused SMTP setting (ConfigError) must stop the start before anything is opened.
  const mailer = createMailer(config.smtp, logger);
  const redis = createRedis(config.redis, logger);
  const service = new VerifyService(config.verify, new CodeLimits(redis, config.verify), new CodeStore(redis, config.verify), mailer, logger);
  if (mailer.devMode) logger.warn('smtp.host is empty: verification codes are logged, not mailed (development only)');

  const server = new Server();
  const handlers: VerifyServiceHandlers = {
    GetVerifyCode: unaryHandler(logger, (req) => service.getVerifyCode(req)),
    CheckCode: unaryHandler(logger, (req) => service.checkCode(req)),
  };
  server.addService(verifyPackage().VerifyService.service, handlers);
  let port: number;
  try {
    port = await bindServer(server, config.verify.bindHost || config.verify.host, config.verify.port, clusterCredentials(config.cluster));
  } catch (err) {
    mailer.close();
    redis.disconnect();
    throw err;
  }
  return {
    ready: { host: config.verify.host, port, smtp: config.smtp.host ? `${config.smtp.host}:${config.smtp.port}` : 'none (codes are logged)' },
    async stop() {
      await shutdownServer(server);
      mailer.close();
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
