import {
  chatPeerAddress,
  createChatPeerClient,
  toParleyError,
  unary,
  type ChatInstanceConfig,
  type ChatPeerClient,
  type DeliverReply__Output,
  type KickReply__Output,
  type Logger,
  type PeerAddress,
  type PeerFrame,
  type Redis,
} from '@parley/common';

export interface PeerClientsOptions {
  selfId: string;
  redis: Redis;
  /** The configured chat servers: the fallback when the status registry does not know a peer. */
  configured: readonly ChatInstanceConfig[];
  logger: Logger;
  deliverDeadlineMs?: number;
  kickDeadlineMs?: number;
  /** Frames per Deliver call at most; a larger batch is split. */
  maxFramesPerCall?: number;

  /**
   * Frames a peer did not deliver: their users were not connected there (a stale route), or the
   * call failed. The notifier may route them again.
   */
  onUndelivered?: (serverId: string, frames: PeerFrame[]) => void;
}

interface Peer {
  client: ChatPeerClient;
  address: string;
}

/**
 * gRPC clients to the other chat servers: one channel per peer (HTTP/2 multiplexes every call),
 * addressed through the status registry in Redis or, failing that, config.ini. Frames for a peer
 * are queued and leave once per tick as one Deliver call.
 */
export class PeerClients {
  private readonly peers = new Map<string, Peer>();
  private readonly resolving = new Map<string, Promise<Peer | undefined>>();
  private readonly outbox = new Map<string, PeerFrame[]>();
  private scheduled = false;
  private readonly inFlight = new Set<Promise<unknown>>();
  private closed = false;
  private readonly deliverDeadlineMs: number;
  private readonly kickDeadlineMs: number;
  private readonly maxFramesPerCall: number;

  constructor(private readonly options: PeerClientsOptions) {
    this.deliverDeadlineMs = options.deliverDeadlineMs ?? 3000;
    this.kickDeadlineMs = options.kickDeadlineMs ?? 3000;
    this.maxFramesPerCall = options.maxFramesPerCall ?? 2048;
  }

  /** Queues frames for users on `serverId`; they go out with this tick's Deliver to that peer. */
  enqueue(serverId: string, frames: readonly PeerFrame[]): void {
    if (this.closed || frames.length === 0) return;
    let queue = this.outbox.get(serverId);
    if (!queue) {
      queue = [];
      this.outbox.set(serverId, queue);
    }
    for (const f of frames) queue.push(f);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flushOutbox);
    }
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

  /** Waits for every Deliver call already started (shutdown). */
  async drain(): Promise<void> {
    this.flushOutbox();
    await Promise.allSettled([...this.inFlight]);
  }

  close(): void {
    this.closed = true;
    this.outbox.clear();
    for (const peer of this.peers.values()) peer.client.close();
    this.peers.clear();
  }

  private readonly flushOutbox = (): void => {
    this.scheduled = false;
    const batches = [...this.outbox.entries()];
    this.outbox.clear();
    for (const [serverId, frames] of batches) {
      for (let i = 0; i < frames.length; i += this.maxFramesPerCall) {
        this.track(this.deliver(serverId, frames.slice(i, i + this.maxFramesPerCall)));
      }
    }
  };

  private track(p: Promise<unknown>): void {
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
  }

  private async deliver(serverId: string, frames: PeerFrame[]): Promise<void> {
    const { logger, selfId } = this.options;
    let peer: Peer | undefined;
    try {
      peer = await this.peer(serverId);
      if (!peer) {
        logger.warn({ server: serverId, frames: frames.length }, 'no address for chat server; pushes dropped');
        return;
      }
      const target = peer;
      const reply = await unary<DeliverReply__Output>((opts, cb) => target.client.Deliver({ fromServer: selfId, frames }, opts, cb), this.deliverDeadlineMs);
      if (reply.offlineUids.length > 0) {
        logger.debug({ server: serverId, offline: reply.offlineUids.length }, 'stale routes on peer');
        const offline = new Set(reply.offlineUids.map(Number));
        this.undelivered(serverId, frames.filter((f) => offline.has(Number(f.uid))));
      }
    } catch (err) {
      // Pushes are best effort: the messages are stored and the recipients will sync.
      logger.warn({ server: serverId, frames: frames.length, err: toParleyError(err).message }, 'deliver to peer failed');
      if (peer) this.onFailure(serverId, peer, err);
      this.undelivered(serverId, frames);
    }
  }

  private undelivered(serverId: string, frames: PeerFrame[]): void {
    if (frames.length === 0 || this.closed || !this.options.onUndelivered) return;
    try {
      this.options.onUndelivered(serverId, frames);
    } catch (err) {
      this.options.logger.warn({ err }, 'onUndelivered failed');
    }
  }

  /** A failed peer is looked up again next time: it may have restarted elsewhere. */
  private onFailure(serverId: string, peer: Peer, err: unknown): void {
    if (toParleyError(err).code !== 'UNAVAILABLE') return;
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
    const peer: Peer = { client: createChatPeerClient(address.host, address.port), address: `${address.host}:${address.port}` };
    this.peers.set(serverId, peer);
    return peer;
  }

  private lookupAddress(serverId: string): Promise<PeerAddress | undefined> {
    return chatPeerAddress(this.options.redis, serverId, this.options.configured);
  }
}
