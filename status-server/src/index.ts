/**
 * @parley/status-server: the registries of chat and file servers, the choice of one of each per login and login tokens,
 * served over gRPC (proto/status.proto). State lives in Redis only; see docs/status-server.md.
 */
import { Server } from '@grpc/grpc-js';
import { bindServer, clusterCredentials, createRedis, shutdownServer, statusPackage, type RunningServer, type ServerContext } from '@parley/common';
import { Attachments } from './attachments';
import { ChatServerRegistry } from './chat-server-registry';
import { FileServerRegistry } from './file-server-registry';
import { statusServiceHandlers } from './status-service';

export { ChatServerRegistry, FORGET_AFTER_INTERVALS, isLive, parseRecord, STALE_AFTER_INTERVALS, type ChatServerView, type RegistryOptions } from './chat-server-registry';
export { FileServerRegistry, type FileServerView } from './file-server-registry';
export { ATTACHED_KEY, FILE_ATTACHED_KEY, FILE_PENDING_KEY, PENDING_KEY, pickChatServer, pickFileServer, type PickResult } from './server-picker';

export interface RunningStatusServer extends RunningServer {
  /** The gRPC port actually bound. */
  port: number;
}

export interface StatusServerOptions {
  /** Clock for the registry, ms since the epoch (tests). */
  now?: () => number;
}

/** Starts the status-server gRPC service on config.status.host:port (0 = any free port). */
export async function startStatusServer(ctx: ServerContext, options: StatusServerOptions = {}): Promise<RunningStatusServer> {
  const { config, logger } = ctx;
  const cfg = config.status;
  const redis = createRedis(config.redis, logger);
  const server = new Server();
  let pruneTimer: NodeJS.Timeout | undefined;
  let attachments: Attachments | undefined;
  try {
    await redis.ping();
    const registryOptions = { reportIntervalSec: cfg.reportIntervalSec, ...(options.now ? { now: options.now } : {}) };
    const registry = new ChatServerRegistry(redis, registryOptions);
    const fileRegistry = new FileServerRegistry(redis, registryOptions);
    const credentials = clusterCredentials(config.cluster);
    attachments = new Attachments({ redis, registry, fileRegistry, credentials, configured: config.chatServers, logger });
    server.addService(statusPackage().StatusService.service, statusServiceHandlers({ redis, registry, fileRegistry, logger, tokenTtlSec: cfg.tokenTtlSec, attachments }));
    const port = await bindServer(server, cfg.bindHost || cfg.host, cfg.port, credentials);

    // Forget long-silent servers; every status-server may run this, the script is atomic and idempotent.
    let pruning: Promise<void> | undefined;
    pruneTimer = setInterval(() => {
      if (pruning) return;
      pruning = Promise.all([registry.prune(), fileRegistry.prune()])
        .then(([removed, removedFiles]) => {
          if (removed.length > 0) logger.info({ chatServers: removed }, 'forgot silent chat servers');
          if (removedFiles.length > 0) logger.info({ fileServers: removedFiles }, 'forgot silent file servers');
        })
        .catch((err: unknown) => logger.warn({ err }, 'registry prune failed'))
        .finally(() => {
          pruning = undefined;
        });
    }, cfg.reportIntervalSec * 1000);
    pruneTimer.unref();

    return {
      port,
      ready: { host: cfg.host, port, reportIntervalSec: cfg.reportIntervalSec, tokenTtlSec: cfg.tokenTtlSec },
      async stop() {
        clearInterval(pruneTimer);
        // Attachment streams would hold the graceful shutdown open; ending them marks no one down.
        attachments?.stop();
        await shutdownServer(server);
        await pruning;
        await redis.quit().catch(() => redis.disconnect());
      },
    };
  } catch (err) {
    clearInterval(pruneTimer);
    attachments?.stop();
    server.forceShutdown();
    redis.disconnect();
    throw err;
  }
}
