import type net from 'node:net';
import { adoptWithReadBuffer, clusterCredentials, createMysqlPool, createRedis, fileInstance, LoadReporter, migrate, parseOriginList, serverTls, TcpListener, WsListener, type ClientSocket, type RunningServer, type ServerContext } from '@parley/common';
import { BufferPool, fileFrameLimit, MsgId } from '@parley/protocol';
import { DownloadService } from './download/download-service';
import { ConnectionRegistry } from './session/connection-registry';
import { FileConnection, type FileConnectionHandlers } from './session/file-connection';
import { FileDispatcher } from './session/file-dispatcher';
import { fileLogin } from './session/file-login';
import { BlobStore } from './storage/blob-store';
import { FileStore } from './storage/file-store';
import { UploadExpiry } from './upload/upload-expiry';
import { UploadService } from './upload/upload-service';

export { BlobStore, EMPTY_SHA256 } from './storage/blob-store';
export { MAX_DOWNLOADS_PER_CONNECTION } from './download/download-service';
export { UploadExpiry } from './upload/upload-expiry';
export { FileStore } from './storage/file-store';

/** Unread output (acks, errors) a client may leave before it is dropped; chunks wait for 'drain' instead. */
const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;
/** How long shutdown waits for clients to close after the last frames went out. */
const CLOSE_WAIT_MS = 1000;
/**
 * The one buffer every plain TCP connection reads into (adoptWithReadBuffer): a read allocates
 * nothing, and a read this large takes what a fast uploader sent in a few syscalls.
 */
const READ_BUFFER_BYTES = 1024 * 1024;
/** Upload chunk bodies kept for reuse (each chunk_bytes + 1 028, 8 MiB in all): one fast upload keeps about ten in flight; beyond this many the rest are left to the GC. */
const MAX_POOLED_BODIES = 32;

export interface RunningFileServer extends RunningServer {
  tcpPort: number;
  /** The WebSocket port; 0 when [file.<id>] ws_port is -1. */
  wsPort: number;
  /** Uploads and downloads in progress, and upload chunk bodies pooled for reuse (tests, benchmarks). */
  activity(): { uploads: number; downloads: number; connections: number; pooledBodies: number };
}

/**
 * A file server: resumable uploads into content-addressed storage, downloads with backpressure,
 * login with the user's token, load reports to the status-server. See docs/file-server.md.
 */
export async function startFileServer(ctx: ServerContext): Promise<RunningFileServer> {
  const { config, logger, id } = ctx;
  const instance = fileInstance(config, id);
  const cfg = config.file;
  await migrate(config.mysql, { logger });
  const clientTls = serverTls('[file]', cfg);
  const blobs = new BlobStore(cfg.storageDir);
  await blobs.prepare();

  const pool = createMysqlPool(config.mysql);
  const redis = createRedis(config.redis, logger);
  const store = new FileStore(pool, logger);
  const uploads = new UploadService({
    store,
    blobs,
    limits: { maxFileBytes: cfg.maxFileBytes, userQuotaBytes: cfg.userQuotaBytes, minFreeBytes: cfg.minFreeBytes },
    chunkBytes: cfg.chunkBytes,
    checkpointBytes: cfg.checkpointBytes,
    logger,
  });
  const downloads = new DownloadService({ pool, blobs, chunkBytes: cfg.chunkBytes, logger });
  const dispatcher = new FileDispatcher({ uploads, downloads, logger });
  const registry = new ConnectionRegistry(cfg.heartbeatSec);
  let draining = false;

  const handlers: FileConnectionHandlers = {
    login: fileLogin({ serverId: id, heartbeatSec: cfg.heartbeatSec, redis, logger, accepting: () => !draining }),
    dispatch: dispatcher.dispatch,
    closed: (conn) => {
      registry.remove(conn);
      downloads.cancelAll(conn);
      uploads.detachAll(conn).catch((err: unknown) => conn.logger.warn({ err }, 'detaching uploads failed'));
    },
  };
  const connectionOptions = { maxFrameBytes: fileFrameLimit(cfg.chunkBytes), maxBufferedBytes: MAX_BUFFERED_BYTES, maxQueuedDuringLogin: 16, handlers, logger };
  // TCP and WebSocket clients are served alike (a WebSocket arrives as a WsSocket).
  const accept = (socket: ClientSocket): void => {
    if (draining) {
      socket.destroy();
      return;
    }
    registry.add(new FileConnection(socket, connectionOptions));
  };
  // Plain TCP sockets read into one shared buffer, copying chunk bodies into a pool (no fresh
  // buffer per read or per chunk); TLS ones, or any Node would not let us adopt, read as usual.
  const readBuffer = Buffer.allocUnsafeSlow(READ_BUFFER_BYTES);
  const bodies = new BufferPool(connectionOptions.maxFrameBytes, MAX_POOLED_BODIES);
  const acceptTcp = (accepted: net.Socket): void => {
    if (draining) {
      accepted.destroy();
      return;
    }
    // Reads only start on a later turn of the event loop, by which time `reader.conn` is set.
    const reader: { conn?: FileConnection } = {};
    const socket = adoptWithReadBuffer(accepted, readBuffer, (bytes) => reader.conn?.receive(bytes));
    if (!socket) {
      accept(accepted);
      accepted.resume();
      return;
    }
    reader.conn = new FileConnection(socket, { ...connectionOptions, reusedInput: { bodies } });
    registry.add(reader.conn);
  };
  const listener = new TcpListener(acceptTcp, logger, clientTls, { pauseOnConnect: true });
  const wsListener = instance.wsPort >= 0 ? new WsListener(accept, { maxFrameBytes: connectionOptions.maxFrameBytes, allowedOrigins: parseOriginList(cfg.wsAllowedOrigins), tls: clientTls }, logger) : undefined;
  let tcpPort: number;
  let wsPort = 0;
  try {
    tcpPort = await listener.listen(instance.bindHost, instance.tcpPort);
    if (wsListener) wsPort = await wsListener.listen(instance.bindHost, instance.wsPort);
  } catch (err) {
    listener.stopAccepting();
    await Promise.allSettled([pool.end(), redis.quit()]);
    throw err;
  }
  registry.startSweeping();
  const expiry = new UploadExpiry({ store, blobs, hours: cfg.uploadExpiryHours, logger });
  expiry.start();
  const reporter = new LoadReporter({
    kind: 'file',
    server: { id, host: instance.host, tcpPort, wsPort },
    status: { host: config.status.host, port: config.status.port },
    credentials: clusterCredentials(config.cluster),
    intervalSec: config.status.reportIntervalSec,
    connections: () => registry.loggedIn,
    logger,
  });
  reporter.start();

  async function stop(): Promise<void> {
    draining = true;
    listener.stopAccepting();
    wsListener?.stopAccepting();
    const deregistered = reporter.drainAndDeregister();
    const conns = [...registry.all()];
    for (const conn of conns) {
      if (conn.state === 'active') conn.send(MsgId.Reconnect, { reason: 'server_shutdown' });
      conn.stopReading();
      downloads.cancelAll(conn);
    }
    // Every upload becomes durable where it stands; clients resume elsewhere.
    await uploads.close();
    const closed = conns.map((conn) => (conn.state === 'closed' ? undefined : new Promise<void>((resolve) => conn.socket.once('close', () => resolve()))));
    for (const conn of conns) conn.close();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(closed), new Promise<void>((resolve) => (timer = setTimeout(resolve, CLOSE_WAIT_MS)))]);
    clearTimeout(timer);
    for (const conn of conns) if (conn.state !== 'closed') conn.destroy();
    registry.stopSweeping();
    await expiry.stop();
    await deregistered;
    reporter.close();
    await Promise.allSettled([pool.end(), redis.quit()]);
    logger.info({ connections: conns.length }, 'file server stopped');
  }

  logger.info({ tcpPort, wsPort, storageDir: blobs.dir, chunkBytes: cfg.chunkBytes }, 'file server listening');
  return {
    tcpPort,
    wsPort,
    ready: { tcpPort, wsPort, storageDir: blobs.dir },
    stop,
    activity: () => ({ uploads: uploads.activeUploads, downloads: downloads.activeDownloads, connections: registry.loggedIn, pooledBodies: bodies.available }),
  };
}
