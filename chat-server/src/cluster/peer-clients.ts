import {
  chatPeerAddress,
  createChatPeerClient,
  toParleyError,
  unary,
  type ChatInstanceConfig,
  type ChatPeerClient,
  type ClusterCredentials,
  type DeliverReply__Output,
  type KickReply__Output,
  type Logger,
  type PeerAddress,
  type Redis,
  ShedCounter,
} from '@parley/common';
import { PeerOutbox, type Missed } from './peer-outbox';
import type { Push } from './push';

export interface PeerClientsOptions {
  selfId: string;
  redis: Redis;
  /** The configured chat servers: the fallback when the status registry does not know a peer. */
  configured: readonly ChatInstanceConfig[];
  credentials: ClusterCredentials;
  logger: Logger;
  deliverDeadlineMs?: number;
  kickDeadlineMs?: number;
  /** Pushes per Deliver call at most; a larger tick's worth is split. Default 2048. */
  maxPushesPerCall?: number;
  /** Request bytes per Deliver call at most (bodies and uids, estimated from above). Default: under 4 MiB. */
  maxBytesPerCall?: number;
  /** Pushes per peer queued or in flight (chat.peer_outbox_max_pushes); beyond it dropped. Default: no bound. */
  maxQueuedPushes?: number;
  /** Their bytes per peer (chat.peer_outbox_max_bytes). Default: no bound. */
  maxQueuedBytes?: number;
  /** Deliver calls per peer in flight at once (chat.peer_max_in_flight). Default: no bound. */
  maxInFlight?: number;
  /** A call to a peer failed as UNAVAILABLE (peer-liveness.ts asks the status-server to probe it). */
  onUnreachable?: (serverId: string) => void;
}

interface Peer {
  client: ChatPeerClient;
  address: string;
}

/** gRPC's default receive limit, which the peer's server keeps, less room for the request's envelope. */
const DEFAULT_MAX_BYTES_PER_CALL = 4 * 1024 * 1024 - 4096;

/**
 * gRPC clients to the other chat servers: one channel per peer (HTTP/2 multiplexes every call),
 * addressed through the status registry in Redis or, failing that, config.ini. Pushes for a peer
 * are queued and leave once per tick as one Deliver call, each body once with its recipients;
 * the queue per peer is bounded (PeerOutbox), and what passes the bound is dropped and counted.
 */
export class PeerClients {
  private readonly peers = new Map<string, Peer>();
  private readonly resolving = new Map<string, Promise<Peer | undefined>>();
  private readonly outbox: PeerOutbox;
  private closed = false;
  private readonly deliverDeadlineMs: number;
  private readonly kickDeadlineMs: number;
  private readonly shed: ShedCounter;

  constructor(private readonly options: PeerClientsOptions) {
    this.deliverDeadlineMs = options.deliverDeadlineMs ?? 3000;
    this.kickDeadlineMs = options.kickDeadlineMs ?? 3000;
    this.shed = new ShedCounter(options.logger, 'pushes to a peer dropped: its outbox is full (recipients will sync)', 'peer_outbox_shed');
    this.outbox = new PeerOutbox((serverId, pushes) => this.call(serverId, pushes), {
      maxPushesPerCall: options.maxPushesPerCall ?? 2048,
      maxBytesPerCall: options.maxBytesPerCall ?? DEFAULT_MAX_BYTES_PER_CALL,
      maxPushes: options.maxQueuedPushes,
      maxBytes: options.maxQueuedBytes,
      maxInFlight: options.maxInFlight,
      onDropped: (server, pushes, load) => this.shed.add(pushes, { server, queued: load.pushes, queuedBytes: load.bytes }),
    });
  }

  /** Pushes dropped so far because a peer's outbox was full. */
  get dropped(): number {
    return this.shed.total;
  }

  /** What waits for `serverId`: pushes and bytes queued or in flight, and calls in flight. */
  outboxLoad(serverId: string): { pushes: number; bytes: number; calls: number } {
    return this.outbox.load(serverId);
  }

  /**
   * Sends pushes to their users on `serverId` with this tick's Deliver to that peer. Resolves,
   * never rejects, with the share that did not arrive: the users the peer reported not connected,
   * or all of them when the call failed. Pushes dropped for want of an address, because the peer's
   * outbox was full, or because this closed, are not returned: there is nowhere better to send them.
   */
  async deliver(serverId: string, pushes: readonly Push[]): Promise<Push[]> {
    if (this.closed || pushes.length === 0) return [];
    const missed = await this.outbox.add(serverId, pushes);
    return this.closed ? [] : missed;
  }

  /** Asks `serverId` to kick every session of uid except `keepSession`; resolves how many it kicked. */
  async kick(serverId: string, uid: number, keepSession: string, reason: string): Promise<number> {
    const peer = await this.peer(serverId);
    if (!peer) throw new Error(`unknown chat server ${serverId}`);
    try {
      const reply = await unary<KickReply__Output>((opts, cb) => peer.client.Kick({ uid, keepSession, reason }, opts, cb), this.kickDeadlineMs);
      return reply.kicked;
    } catch (err) {
      this.onFailure(serverId, peer, err);
      throw err;
    }
  }

  /** Sends what is queued and waits for every Deliver call started so far (shutdown). */
  async drain(): Promise<void> {
    await this.outbox.drain();
  }

  close(): void {
    this.closed = true;
    this.outbox.clear();
    for (const peer of this.peers.values()) peer.client.close();
    this.peers.clear();
  }

  /** One Deliver call: what the peer missed, or `'all'` when the call failed. */
  private async call(serverId: string, pushes: Push[]): Promise<Missed> {
    const { logger, selfId } = this.options;
    let peer: Peer | undefined;
    try {
      peer = await this.peer(serverId);
      if (!peer) {
        logger.warn({ server: serverId, pushes: pushes.length }, 'no address for chat server; pushes dropped');
        return new Set();
      }
      const target = peer;
      // The uid lists are only read while the request is encoded: no copy.
      const request = { fromServer: selfId, pushes: pushes.map((p) => ({ msgId: p.payload.msgId, body: p.payload.json, uids: p.uids as number[] })) };
      const reply = await unary<DeliverReply__Output>((opts, cb) => target.client.Deliver(request, opts, cb), this.deliverDeadlineMs);
      if (reply.offlineUids.length > 0) logger.debug({ server: serverId, offline: reply.offlineUids.length }, 'stale routes on peer');
      return new Set(reply.offlineUids);
    } catch (err) {
      // Pushes are best effort: the messages are stored and the recipients will sync.
      logger.warn({ server: serverId, pushes: pushes.length, err: toParleyError(err).message }, 'deliver to peer failed');
      if (peer) this.onFailure(serverId, peer, err);
      return 'all';
    }
  }

  /** A failed peer is looked up again next time: it may have restarted elsewhere. */
  private onFailure(serverId: string, peer: Peer, err: unknown): void {
    if (toParleyError(err).code !== 'UNAVAILABLE') return;
    this.options.onUnreachable?.(serverId);
    if (this.peers.get(serverId) === peer) {
      this.peers.delete(serverId);
      peer.client.close();
    }
  }

  private peer(serverId: string): Promise<Peer | undefined> {
    const known = this.peers.get(serverId);
    if (known) return Promise.resolve(known);
    let pending = this.resolving.get(serverId);
    if (!pending) {
      pending = this.resolve(serverId).finally(() => this.resolving.delete(serverId));
      this.resolving.set(serverId, pending);
    }
    return pending;
  }

  private async resolve(serverId: string): Promise<Peer | undefined> {
    const address = await this.lookupAddress(serverId);
    if (!address || this.closed) return undefined;
    const existing = this.peers.get(serverId);
    if (existing) return existing;
    const peer: Peer = { client: createChatPeerClient(address.host, address.port, this.options.credentials), address: `${address.host}:${address.port}` };
    this.peers.set(serverId, peer);
    return peer;
  }

  private lookupAddress(serverId: string): Promise<PeerAddress | undefined> {
    return chatPeerAddress(this.options.redis, serverId, this.options.configured);
  }
}
