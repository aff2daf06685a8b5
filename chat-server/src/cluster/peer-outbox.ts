import type { Push } from './push';

/** What one Deliver call missed: the uids the peer reported not connected, or `'all'` when the call failed. */
export type Missed = ReadonlySet<number> | 'all';

/** Sends one Deliver call; must resolve (a failure is `'all'`), never reject. */
export type DeliverCall = (serverId: string, pushes: Push[]) => Promise<Missed>;

export interface OutboxLimits {
  /** Pushes per Deliver call at most. */
  maxPushesPerCall: number;
  /** Request bytes per Deliver call at most, as estimated by `estimatedBytes`. */
  maxBytesPerCall: number;
  /** Pushes per peer queued or in flight at most; beyond it pushes are dropped (default: no bound). */
  maxPushes?: number;
  /** Their bytes per peer, as `estimatedBytes` counts them (default: no bound). */
  maxBytes?: number;
  /** Deliver calls per peer in flight at once; the rest wait in the queue (default: no bound). */
  maxInFlight?: number;
  /** Called with the pushes dropped at the bound (they are not handed back to their owner). */
  onDropped?: (serverId: string, pushes: number, peer: { pushes: number; bytes: number }) => void;
}

/** One caller's pushes for a peer: where its share of what was missed goes once all of them are settled. */
interface Owner {
  resolve: (missed: Push[]) => void;
  missed: Push[];
  /** Its pushes still queued or in flight. */
  left: number;
}

interface Entry {
  push: Push;
  owner: Owner;
  bytes: number;
}

/** One peer's queue; `pushes` and `bytes` count what is queued and what is in flight. */
interface PeerQueue {
  entries: Entry[];
  pushes: number;
  bytes: number;
  calls: number;
}

/**
 * Per-peer queues that leave once per tick: what every caller queued for a peer goes out as one
 * Deliver (split only at the per-call limits), and each caller gets back its own share of what its
 * call missed, so whoever sent a push decides what to do with it.
 *
 * Bounded per peer: at most `maxInFlight` calls at once (what comes meanwhile waits and leaves in
 * the next call, so a slow peer gets fewer, larger calls), and at most `maxPushes` / `maxBytes`
 * queued and in flight together. A push beyond that is dropped — not handed back, so it is not
 * retried — and reported to `onDropped`: its recipients find the message by sync.
 */
export class PeerOutbox {
  private readonly peers = new Map<string, PeerQueue>();
  private scheduled = false;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly call: DeliverCall,
    private readonly limits: OutboxLimits,
  ) {}

  /** Queues pushes for `serverId`; resolves with the part of them the peer did not deliver. */
  add(serverId: string, pushes: readonly Push[]): Promise<Push[]> {
    return new Promise((resolve) => {
      const peer = this.peerQueue(serverId);
      const { maxPushes = Infinity, maxBytes = Infinity } = this.limits;
      const owner: Owner = { resolve, missed: [], left: 0 };
      let dropped = 0;
      for (const push of pushes) {
        if (push.uids.length === 0) continue;
        const bytes = estimatedBytes(push);
        // An idle peer takes any one push, so no bound can refuse everything.
        if (peer.pushes > 0 && (peer.pushes + 1 > maxPushes || peer.bytes + bytes > maxBytes)) {
          dropped++;
          continue;
        }
        peer.entries.push({ push, owner, bytes });
        peer.pushes++;
        peer.bytes += bytes;
        owner.left++;
      }
      if (dropped > 0) this.limits.onDropped?.(serverId, dropped, { pushes: peer.pushes, bytes: peer.bytes });
      if (owner.left === 0) {
        resolve([]);
        return;
      }
      this.schedule();
    });
  }

  /** Pushes queued or in flight for `serverId`, and their bytes. */
  load(serverId: string): { pushes: number; bytes: number; calls: number } {
    const peer = this.peers.get(serverId);
    return { pushes: peer?.pushes ?? 0, bytes: peer?.bytes ?? 0, calls: peer?.calls ?? 0 };
  }

  /** Sends every queue and waits until nothing is queued or in flight (shutdown, tests). */
  async drain(): Promise<void> {
    for (;;) {
      this.flush();
      if (this.inFlight.size === 0) return;
      await Promise.race([...this.inFlight]);
    }
  }

  /** Forgets what is queued; its callers get nothing back to retry (shutdown). */
  clear(): void {
    for (const peer of this.peers.values()) {
      for (const entry of peer.entries) {
        peer.pushes--;
        peer.bytes -= entry.bytes;
        this.settle(entry.owner);
      }
      peer.entries = [];
    }
  }

  private peerQueue(serverId: string): PeerQueue {
    let peer = this.peers.get(serverId);
    if (!peer) {
      peer = { entries: [], pushes: 0, bytes: 0, calls: 0 };
      this.peers.set(serverId, peer);
    }
    return peer;
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(this.flush);
  }

  private readonly flush = (): void => {
    this.scheduled = false;
    const maxInFlight = this.limits.maxInFlight ?? Infinity;
    for (const [serverId, peer] of this.peers) {
      while (peer.entries.length > 0 && peer.calls < maxInFlight) {
        const part = this.nextPart(peer);
        peer.calls++;
        const sent = this.send(serverId, peer, part);
        this.inFlight.add(sent);
        void sent.finally(() => this.inFlight.delete(sent));
      }
      if (peer.entries.length === 0 && peer.pushes === 0 && peer.calls === 0) this.peers.delete(serverId);
    }
  };

  /** Takes the next call's worth off the front of the queue, in order, within the per-call limits. */
  private nextPart(peer: PeerQueue): Entry[] {
    const { maxPushesPerCall, maxBytesPerCall } = this.limits;
    let n = 0;
    let bytes = 0;
    for (const entry of peer.entries) {
      if (n > 0 && (n >= maxPushesPerCall || bytes + entry.bytes > maxBytesPerCall)) break;
      n++;
      bytes += entry.bytes;
    }
    return peer.entries.splice(0, n);
  }

  private async send(serverId: string, peer: PeerQueue, part: Entry[]): Promise<void> {
    const missed = await this.call(
      serverId,
      part.map((e) => e.push),
    ).catch((): Missed => 'all');
    peer.calls--;
    for (const { push, owner, bytes } of part) {
      peer.pushes--;
      peer.bytes -= bytes;
      const uids = missed === 'all' ? push.uids : push.uids.filter((uid) => missed.has(uid));
      if (uids.length > 0) owner.missed.push(uids.length === push.uids.length ? push : { payload: push.payload, uids });
      this.settle(owner);
    }
    // Pushes that waited for a free call leave now.
    if (peer.entries.length > 0) this.schedule();
    else if (peer.pushes === 0 && peer.calls === 0 && this.peers.get(serverId) === peer) this.peers.delete(serverId);
  }

  private settle(owner: Owner): void {
    if (--owner.left === 0) owner.resolve(owner.missed);
  }
}

/** An upper bound of a push's encoded size: the body, 10 bytes per uid (the longest uint64 varint), tags and lengths. */
export function estimatedBytes(push: Push): number {
  return push.payload.json.length + push.uids.length * 10 + 16;
}
