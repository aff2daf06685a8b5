/** gRPC handlers of parley.status.StatusService (proto/status.proto). */
import {
  issueToken,
  ParleyError,
  unaryHandler,
  validateToken,
  type Logger,
  type Redis,
  type StatusServiceHandlers,
} from '@parley/common';
import type { Attachments } from './attachments';
import type { ChatServerRegistry } from './chat-server-registry';
import type { FileServerAddress, FileServerRegistry } from './file-server-registry';
import { checkFileServer, checkServer, checkServerId, checkUid } from './request-checks';

export interface StatusServiceDeps {
  redis: Redis;
  registry: ChatServerRegistry;
  fileRegistry: FileServerRegistry;
  logger: Logger;
  tokenTtlSec: number;
  attachments: Attachments;
}

/**
 * Runs one Redis-backed step. The status-server is only a front for Redis, so a Redis failure is
 * UNAVAILABLE (callers may retry) rather than INTERNAL; it is logged here because unaryHandler only logs INTERNAL.
 */
async function storage<T>(logger: Logger, what: string, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (err) {
    if (err instanceof ParleyError) throw err;
    logger.error({ err, what }, 'redis step failed');
    throw new ParleyError('UNAVAILABLE', 'status storage unavailable', { cause: err });
  }
}

export function statusServiceHandlers(deps: StatusServiceDeps): StatusServiceHandlers {
  const { redis, registry, fileRegistry, logger, tokenTtlSec, attachments } = deps;

  /** The file server named with a login: best effort, a failure only leaves it out of the answer. */
  async function chooseFileServer(uid: number): Promise<FileServerAddress | null> {
    try {
      return (await fileRegistry.choose())?.server ?? null;
    } catch (err) {
      logger.warn({ err, uid }, 'file server choice failed');
      return null;
    }
  }

  return {
    Attach: attachments.attach,
    ReportSuspect: unaryHandler(logger, async (req) => ({ down: await attachments.suspect(checkServerId(req.id, 'id'), req.from) })),

    ReportLoad: unaryHandler(logger, async (req) => {
      const server = checkServer(req.server);
      const isNew = await storage(logger, 'report', () => registry.report(server, req.connections, req.draining, attachments.tokenOf('chat', server.id)));
      if (isNew) logger.info({ chatServer: server.id, host: server.host, tcpPort: server.tcpPort, grpcPort: server.grpcPort, wsPort: server.wsPort }, 'chat server registered');
      return { reportIntervalSec: registry.reportIntervalSec };
    }),

    Deregister: unaryHandler(logger, async (req) => {
      const id = checkServerId(req.id, 'id');
      const removed = await storage(logger, 'deregister', () => registry.deregister(id));
      logger.info({ chatServer: id, removed }, 'chat server deregistered');
      return {};
    }),

    GetChatServer: unaryHandler(logger, async (req) => {
      const uid = checkUid(req.uid);
      const pick = await storage(logger, 'choose', () => registry.choose(uid));
      if (!pick) {
        logger.warn({ uid }, 'no chat server available');
        throw new ParleyError('NO_CHAT_SERVER');
      }
      const [token, fileServer] = await Promise.all([storage(logger, 'issue token', () => issueToken(redis, uid, tokenTtlSec)), chooseFileServer(uid)]);
      logger.debug({ uid, chatServer: pick.record.server.id, sticky: pick.sticky, fileServer: fileServer?.id }, 'chat server assigned');
      return { token, tokenTtlSec, server: pick.record.server, fileServer };
    }),

    ValidateToken: unaryHandler(logger, async (req) => {
      // Malformed input is simply not a valid token; validateToken checks uid and token shape itself.
      const valid = await storage(logger, 'validate token', () => validateToken(redis, req.uid, req.token));
      return { valid };
    }),

    ReportFileLoad: unaryHandler(logger, async (req) => {
      const server = checkFileServer(req.server);
      const isNew = await storage(logger, 'file report', () => fileRegistry.report(server, req.connections, req.draining, attachments.tokenOf('file', server.id)));
      if (isNew) logger.info({ fileServer: server.id, host: server.host, tcpPort: server.tcpPort, wsPort: server.wsPort }, 'file server registered');
      return { reportIntervalSec: fileRegistry.reportIntervalSec };
    }),

    DeregisterFileServer: unaryHandler(logger, async (req) => {
      const id = checkServerId(req.id, 'id');
      const removed = await storage(logger, 'file deregister', () => fileRegistry.deregister(id));
      logger.info({ fileServer: id, removed }, 'file server deregistered');
      return {};
    }),

    ListFileServers: unaryHandler(logger, async () => {
      const servers = await storage(logger, 'file list', () => fileRegistry.list());
      return {
        servers: servers.map((s) => ({ server: s.server, connections: s.connections, lastReportMs: s.lastReportMs, healthy: s.healthy, draining: s.draining, pending: s.pending })),
      };
    }),

    ListChatServers: unaryHandler(logger, async () => {
      const servers = await storage(logger, 'list', () => registry.list());
      return {
        servers: servers.map((s) => ({ server: s.server, connections: s.connections, lastReportMs: s.lastReportMs, healthy: s.healthy, draining: s.draining, pending: s.pending })),
      };
    }),
  };
}
