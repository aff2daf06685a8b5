import { Server } from '@grpc/grpc-js';
import {
  bindServer,
  chatInstance,
  clusterCredentials,
  serverTls,
  createMysqlPool,
  createRedis,
  LoadReporter,
  migrate,
  ShedCounter,
  parseOriginList,
  shutdownServer,
  TcpListener,
  widenServerFlowControl,
  WsListener,
  type ClientSocket,
  type RunningServer,
  type ServerContext,
} from '@parley/common';
import { MsgId, msgName } from '@parley/protocol';
import { addApiService } from './cluster/api-service';
import { ClientConnection, type ConnectionHandlers } from './session/client-connection';
import { ClusterNotifier } from './cluster/cluster-notifier';
import { DeliveredAckWriter } from './messaging/delivered-ack-writer';
import { createFriendHandlers } from './friends';
import { createGroupHandlers } from './groups';
import { createProfileHandlers } from './profile';
import { HeartbeatSweeper } from './session/heartbeat-sweeper';
import { LoginHandler } from './session/login-handler';
import { createLogoutHandler } from './session/logout-handler';
import { RateGate } from './session/rate-gate';
import { SessionTokens } from './session/session-tokens';
import { ConnectionAdmission, refuseSocket } from './session/connection-admission';
import { MessageCommitter } from './messaging/message-committer';
import { MessageService, pushCommitted } from './messaging/message-service';
import { behindReading, SendAdmission } from './messaging/send-admission';
import { SendShedder } from './messaging/send-shedder';
import { addPeerService } from './cluster/peer-service';
import { PeerClients } from './cluster/peer-clients';
import { PeerLiveness } from './cluster/peer-liveness';
import { RouteGuard } from './cluster/route-guard';
import { RequestRouter } from './session/request-router';
import { RouteStore } from './cluster/route-store';
import { SessionRegistry } from './session/session-registry';
import { SyncService } from './messaging/sync-service';
import { WriteScheduler } from './session/write-scheduler';

export type { RequestContext } from './session/request-context';
export type { UserNotifier } from './cluster/user-notifier';
export { MessageCommitter, type SendCommand, type SendResult } from './messaging/message-committer';
export { RouteStore, type Route } from './cluster/route-store';
// The writer alone, for bench/src/db-floor.ts (what MariaDB costs per message).
export { writeBatch } from './messaging/message-writer';
export type { Outcome, Target } from './messaging/send-command';

/** HTTP/2 receive window of the ChatPeer server, per stream and per connection. */
const PEER_FLOW_CONTROL_WINDOW = 16 * 1024 * 1024;
/** How long shutdown waits for clients to close after the last frames went out. */
const CLOSE_WAIT_MS = 1000;

/** Seams for tests that must order events a real cluster would only hit by chance. */
export interface ChatServerTestHooks {
  /** After a login's first token check, before its route claim. */
  afterTokenCheck?: (uid: number) => Promise<void>;
}

/**
 * A chat server: the TCP and WebSocket sessions of its clients, their requests (friends, messages, sync), the
 * ChatPeer gRPC service for the other chat servers, the ChatApi service for the gate's REST API,
 * and load reports to the status-server.
 * See docs/chat-server.md.
 */
export async function startChatServer(ctx: ServerContext, testHooks: ChatServerTestHooks = {}): Promise<RunningServer> {
  const { config, logger, id } = ctx;
  const instance = chatInstance(config, id);
  const { heartbeatSec } = config.chat;
  await migrate(config.mysql, { logger });

  const pool = createMysqlPool(config.mysql);
  // The committer's own connections, one per lane: each batch is a fixed multi-statement sequence.
  // trace off: mysql2 would capture a stack trace for every batch (3 % of the server's CPU at 2,000 msg/s); its errors still carry their SQL codes.
  const commitPool = createMysqlPool(config.mysql, { multipleStatements: true, connectionLimit: config.chat.commitLanes, trace: false });
  const redis = createRedis(config.redis, logger);
  const credentials = clusterCredentials(config.cluster);
  const clientTls = serverTls('[chat]', config.chat);
  const registry = new SessionRegistry();
  const routes = new RouteStore(redis, id, HeartbeatSweeper.routeTtlMs(heartbeatSec));
  // The reporter is made below, once the ports are bound; peers that fail a call ask it to have them probed.
  const status: { reporter?: LoadReporter } = {};
  const liveness = new PeerLiveness({
    selfId: id,
    redis,
    reportIntervalSec: config.status.reportIntervalSec,
    credentials,
    configured: config.chatServers,
    suspect: (server) => status.reporter?.reportSuspect(server) ?? Promise.resolve(false),
    logger,
  });
  const peers = new PeerClients({
    selfId: id,
    redis,
    configured: config.chatServers,
    credentials,
    logger,
    maxQueuedPushes: config.chat.peerOutboxMaxPushes,
    maxQueuedBytes: config.chat.peerOutboxMaxBytes,
    maxInFlight: config.chat.peerMaxInFlight,
    onUnreachable: (server) => liveness.unreachable(server),
  });
  const notifier = new ClusterNotifier({
    serverId: id,
    registry,
    routes,
    peers,
    logger,
    redis,
    reportIntervalSec: config.status.reportIntervalSec,
    maxPending: config.chat.notifyMaxPending,
    maxPendingBytes: config.chat.notifyMaxPendingBytes,
    liveness,
  });
  const committer = new MessageCommitter({
    pool: commitPool,
    intervalMs: config.chat.commitIntervalMs,
    maxBatch: config.chat.commitMaxBatch,
    minBatch: config.chat.commitMinBatch,
    lanes: config.chat.commitLanes,
    maxPending: config.chat.commitMaxPending,
    maxPendingBytes: config.chat.commitMaxPendingBytes,
    maxWaitMs: config.chat.commitMaxWaitMs > 0 ? config.chat.commitMaxWaitMs : undefined,
    logger,
    onCommitted: pushCommitted(notifier, logger),
  });
  const messages = new MessageService(committer, pool, logger);
  const sendAdmission = new SendAdmission({ windowMs: config.chat.admissionWindowMs, behind: behindReading(config.chat.admissionBehindPct / 100), minPerSec: config.chat.admissionMinPerSec });
  const sync = new SyncService(pool);
  const acks = new DeliveredAckWriter({ pool, logger, maxPerUser: config.chat.maxPendingAcksPerUser });
  const friends = createFriendHandlers({ pool, notifier, logger, requestCooldownSec: config.chat.friendRequestCooldownSec });
  const tokens = new SessionTokens();
  const groups = createGroupHandlers({ pool, notifier, logger, maxMembers: config.chat.groupMaxMembers });
  const profile = createProfileHandlers({ pool });

  const router = new RequestRouter({
    handlers: {
      [MsgId.SendReq]: (c, req) => messages.send(c, req),
      [MsgId.SyncReq]: (c, req) => sync.sync(c, req),
      [MsgId.PullReq]: (c, req) => sync.pull(c, req),
      [MsgId.HistoryReq]: (c, req) => sync.history(c, req),
      [MsgId.SearchUserReq]: friends.searchUsers,
      [MsgId.FriendRequestReq]: friends.sendRequest,
      [MsgId.FriendRequestListReq]: friends.listRequests,
      [MsgId.FriendReplyReq]: friends.reply,
      [MsgId.FriendListReq]: friends.listFriends,
      [MsgId.FriendDeleteReq]: friends.deleteFriend,
      [MsgId.BlockReq]: friends.block,
      [MsgId.UnblockReq]: friends.unblock,
      [MsgId.BlockListReq]: friends.listBlocked,
      [MsgId.LogoutReq]: createLogoutHandler({ redis, registry, tokens, logger }),
      ...groups,
      ...profile,
    },
    onDeliveredAck: (c, conversationId, seq) => acks.record(c.uid, conversationId, seq),
    admit: new RateGate(config.chat, logger).admit,
    missingReason: (msgId) => `${msgName(msgId) ?? msgId} is not available on this server`,
    logger,
  });
  let draining = false;
  const login = new LoginHandler({ serverId: id, heartbeatSec, redis, registry, routes, peers, liveness, tokens, logger, accepting: () => !draining, afterTokenCheck: testHooks.afterTokenCheck });

  const scheduler = new WriteScheduler();
  const admission = new ConnectionAdmission({ maxConnections: config.chat.maxConnections, maxUnauthenticatedPerIp: config.chat.maxUnauthenticatedPerIp });
  const shedder = new SendShedder(committer, sendAdmission, new ShedCounter(logger, 'sends refused OVERLOADED: behind reading the sockets', 'admission_overloaded'));
  const handlers: ConnectionHandlers = {
    login: login.login,
    screen: shedder.screen,
    dispatch: router.dispatch,
    loggedIn: (conn) => admission.leave(conn),
    closed: (conn) => {
      admission.leave(conn);
      registry.remove(conn);
      if (conn.sessionId === '' || draining) return; // shutdown releases routes in one go
      const { uid, sessionId } = conn;
      void (conn.routeClaim ?? Promise.resolve())
        .then(() => routes.release(uid, sessionId))
        .catch((err: unknown) => logger.warn({ err, uid }, 'route release failed'));
    },
  };
  const connectionOptions = {
    maxFrameBytes: config.chat.maxFrameBytes,
    preLoginMaxFrameBytes: config.chat.preloginMaxFrameBytes,
    loginTimeoutMs: config.chat.loginTimeoutMs,
    maxBufferedBytes: config.chat.maxOutputBytes,
    pauseReadingAboveBytes: config.chat.outputPauseBytes,
    maxQueuedDuringLogin: 64,
    maxInFlight: 256,
    scheduler,
    handlers,
    logger,
  };

  const grpcServer = new Server();
  // Deliver requests carry up to thousands of pushes: let them in without waiting for window updates.
  if (!widenServerFlowControl(grpcServer, PEER_FLOW_CONTROL_WINDOW)) logger.warn('could not widen the gRPC flow-control window');
  addPeerService(grpcServer, registry, logger);
  addApiService(grpcServer, { router, serverId: id, accepting: () => !draining, logger });
  const grpcPort = await bindServer(grpcServer, instance.grpcBindHost, instance.grpcPort, credentials);
  // TCP and WebSocket clients are admitted and served alike (a WebSocket arrives as a WsSocket).
  const accept = (socket: ClientSocket): void => {
    if (draining) {
      socket.destroy();
      return;
    }
    const verdict = admission.check(registry.size, socket.remoteAddress);
    if ('refusal' in verdict) {
      logger.debug({ remote: socket.remoteAddress, code: verdict.refusal.code }, 'connection refused');
      refuseSocket(socket, verdict.refusal);
      return;
    }
    const conn = new ClientConnection(socket, connectionOptions);
    registry.add(conn);
    admission.enter(conn, verdict.key);
  };
  const listener = new TcpListener(accept, logger, clientTls);
  const wsListener = instance.wsPort >= 0 ? new WsListener(accept, { maxFrameBytes: config.chat.maxFrameBytes, allowedOrigins: parseOriginList(config.chat.wsAllowedOrigins), tls: clientTls }, logger) : undefined;
  let tcpPort: number;
  let wsPort = 0;
  try {
    tcpPort = await listener.listen(instance.bindHost, instance.tcpPort);
    if (wsListener) wsPort = await wsListener.listen(instance.bindHost, instance.wsPort);
  } catch (err) {
    liveness.stop();
    listener.stopAccepting();
    grpcServer.forceShutdown();
    await Promise.allSettled([pool.end(), commitPool.end(), redis.quit()]);
    throw err;
  }
  const sweeper = new HeartbeatSweeper({ heartbeatSec, registry, routes, logger });
  const guard = new RouteGuard({ serverId: id, redis, reclaim: () => sweeper.reclaimAll(), logger });
  const reporter = new LoadReporter({
    kind: 'chat',
    server: { id, host: instance.host, tcpPort, grpcPort, grpcHost: instance.grpcHost, wsPort },
    status: { host: config.status.host, port: config.status.port },
    credentials,
    intervalSec: config.status.reportIntervalSec,
    connections: () => registry.sessionCount,
    logger,
    onClusterChange: liveness.onChange,
  });
  status.reporter = reporter;
  reporter.start();

  async function stop(): Promise<void> {
    draining = true;
    listener.stopAccepting();
    wsListener?.stopAccepting();
    const deregistered = reporter.drainAndDeregister();
    const conns = [...registry.all()];
    const sessions = [...registry.sessions()].map((c) => ({ uid: c.uid, session: c.sessionId, claim: c.routeClaim }));
    // Tell every client to go elsewhere, and stop reading: what they send from now on is not acked.
    for (const conn of conns) {
      if (conn.state === 'active') conn.send(MsgId.Reconnect, { reason: 'server_shutdown' });
      conn.stopReading();
    }
    // Everything already submitted is committed and acked before the sockets close.
    sendAdmission.close();
    await committer.close();
    await acks.close();
    await notifier.drain();
    await peers.drain();
    scheduler.flush();
    await Promise.allSettled(sessions.map((s) => s.claim));
    await routes.releaseMany(sessions).catch((err: unknown) => logger.warn({ err }, 'route release failed'));
    const closed = conns.map((conn) => (conn.state === 'closed' ? undefined : new Promise<void>((resolve) => conn.socket.once('close', () => resolve()))));
    for (const conn of conns) conn.close();
    const waitAll = Promise.all(closed);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([waitAll, new Promise<void>((resolve) => (timer = setTimeout(resolve, CLOSE_WAIT_MS)))]);
    clearTimeout(timer);
    for (const conn of conns) if (conn.state !== 'closed') conn.destroy();
    sweeper.stop();
    guard.stop();
    liveness.stop();
    await deregistered;
    reporter.close();
    await shutdownServer(grpcServer, 1000);
    peers.close();
    await Promise.allSettled([pool.end(), commitPool.end(), redis.quit()]);
    logger.info({ sessions: sessions.length }, 'chat server drained');
  }

  logger.info({ tcpPort, grpcPort, wsPort, heartbeatSec }, 'chat server listening');
  return { ready: { tcpPort, grpcPort, wsPort }, stop };
}
