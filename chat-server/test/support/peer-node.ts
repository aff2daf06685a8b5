import { Server } from '@grpc/grpc-js';
import {
  bindServer,
  chatPeerPackage,
  shutdownServer,
  type ChatInstanceConfig,
  type ChatPeerHandlers,
  type DeliverRequest__Output,
  type Logger,
} from '@parley/common';
import type { TestEnv } from '@parley/common/testing';
import { testClusterCredentials } from '@parley/common/testing';
import { ChatClient, encodeFrameRaw, MsgId, type Frame } from '@parley/protocol';
import { ClientConnection } from '../../src/session/client-connection';
import { ClusterNotifier } from '../../src/cluster/cluster-notifier';
import { createPeerHandlers } from '../../src/cluster/peer-service';
import { LoginHandler } from '../../src/session/login-handler';
import { PeerClients, type PeerClientsOptions } from '../../src/cluster/peer-clients';
import { RequestRouter } from '../../src/session/request-router';
import { RouteStore } from '../../src/cluster/route-store';
import { SessionRegistry } from '../../src/session/session-registry';
import { TcpListener } from '@parley/common';
import { WriteScheduler } from '../../src/session/write-scheduler';

/**
 * The cluster half of a chat server, in-process and wired like index.ts: client sessions over real
 * TCP with the real login, the ChatPeer service on a real gRPC port (its Deliver requests recorded
 * on the way in), and the notifier with its PeerClients. No database work: pushes only.
 */
export interface PeerNode {
  id: string;
  tcpPort: number;
  registry: SessionRegistry;
  peers: PeerClients;
  notifier: ClusterNotifier;
  /** Every Deliver request this node's ChatPeer service received, in order. */
  delivers: DeliverRequest__Output[];
  /** Makes incoming Deliver calls wait (a slow peer) until `release` (they are recorded on arrival). */
  holdDelivers(): void;
  releaseDelivers(): void;
  /** A client logged in here; `frames` collects copies of the MessagePush frames it receives. */
  connect(user: { uid: number; token: string }): Promise<{ client: ChatClient; frames: Buffer[] }>;
  stop(): Promise<void>;
}

/**
 * Starts node `id` and adds it to `directory`, the config.ini stand-in every node's PeerClients
 * reads peers' addresses from (the status registry in Redis knows none of them).
 */
export async function startPeerNode(env: TestEnv, id: string, directory: ChatInstanceConfig[], logger: Logger, peerOptions: Partial<PeerClientsOptions> = {}): Promise<PeerNode> {
  const registry = new SessionRegistry();
  const routes = new RouteStore(env.redis, id, 60_000);
  const peers = new PeerClients({ selfId: id, redis: env.redis, configured: directory, credentials: testClusterCredentials(), logger, ...peerOptions });
  const notifier = new ClusterNotifier({ serverId: id, registry, routes, peers, logger, redis: env.redis, reportIntervalSec: 1 });
  const login = new LoginHandler({ serverId: id, heartbeatSec: 60, redis: env.redis, registry, routes, peers, logger, accepting: () => true });
  const router = new RequestRouter({ handlers: {}, onDeliveredAck: () => undefined, logger });
  const scheduler = new WriteScheduler();
  const options = {
    maxFrameBytes: 1 << 20,
    preLoginMaxFrameBytes: 4096,
    loginTimeoutMs: 10_000,
    maxBufferedBytes: 8 << 20,
    maxQueuedDuringLogin: 64,
    maxInFlight: 256,
    scheduler,
    handlers: { login: login.login, dispatch: router.dispatch, closed: (conn: ClientConnection) => registry.remove(conn) },
    logger,
  };
  const listener = new TcpListener((socket) => registry.add(new ClientConnection(socket, options)), logger);
  const tcpPort = await listener.listen('127.0.0.1', 0);

  const delivers: DeliverRequest__Output[] = [];
  const handlers = createPeerHandlers(registry, logger);
  let held: Promise<void> | undefined;
  let release = (): void => undefined;
  const recording: ChatPeerHandlers = {
    ...handlers,
    Deliver: (call, callback) => {
      delivers.push(call.request);
      if (held) void held.then(() => handlers.Deliver(call, callback));
      else handlers.Deliver(call, callback);
    },
  };
  const grpc = new Server();
  grpc.addService(chatPeerPackage().ChatPeer.service, recording);
  const grpcPort = await bindServer(grpc, '127.0.0.1', 0, testClusterCredentials());
  directory.push({ id, host: '127.0.0.1', bindHost: '127.0.0.1', grpcHost: '', grpcBindHost: '127.0.0.1', tcpPort, grpcPort, wsPort: -1 });
  const clients: ChatClient[] = [];

  return {
    id,
    tcpPort,
    registry,
    peers,
    notifier,
    delivers,
    holdDelivers() {
      held ??= new Promise<void>((resolve) => (release = resolve));
    },
    releaseDelivers() {
      held = undefined;
      release();
    },
    async connect(user) {
      const client = new ChatClient({ heartbeat: false });
      const frames: Buffer[] = [];
      // The frame's body is a view of a reused chunk: keep a copy of the whole frame.
      client.on('frame', (f: Frame) => {
        if (f.id === MsgId.MessagePush) frames.push(encodeFrameRaw(f.id, Buffer.from(f.body)));
      });
      await client.connect('127.0.0.1', tcpPort);
      await client.login(user.uid, user.token);
      clients.push(client);
      return { client, frames };
    },
    async stop() {
      held = undefined;
      release();
      listener.stopAccepting();
      await Promise.allSettled(clients.map((c) => c.close()));
      for (const conn of registry.all()) conn.destroy();
      await peers.drain();
      peers.close();
      await shutdownServer(grpc, 500);
    },
  };
}
