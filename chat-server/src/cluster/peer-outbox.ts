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
}

/** One caller's pushes for a peer, and where its share of what was missed goes. */
interface Pending {
  pushes: readonly Push[];
  resolve: (missed: Push[]) => void;
}

interface Entry {
  push: Push;
  owner: Pending;
}

const NOTHING_MISSED: Missed = new Set<number>();

/**
 * Per-peer queues that leave once per tick: what every caller queued for a peer during a tick goes
 * out as one Deliver (split only at the limits), and each caller gets back its own share of what
 * its call missed, so whoever sent a push decides what to do with it.
 */
export class PeerOutbox {
  private readonly queues = new Map<string, Pending[]>();
  private scheduled = false;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly call: DeliverCall,
    private readonly limits: OutboxLimits,
  ) {}

  /** Queues pushes for `serverId`; resolves with the part of them the peer did not deliver. */
  add(serverId: string, pushes: readonly Push[]): Promise<Push[]> {
    return new Promise((resolve) => {
      let queue = this.queues.get(serverId);
      if (!queue) {
        queue = [];
        this.queues.set(serverId, queue);
      }
      queue.push({ pushes, resolve });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(this.flush);
      }
    });
  }

  /** Sends every queue now and waits for every call started so far. */
  async drain(): Promise<void> {
    this.flush();
    await Promise.allSettled([...this.inFlight]);
  }

  /** Forgets what is queued; its callers get nothing back to retry (shutdown). */
  clear(): void {
    for (const queue of this.queues.values()) for (const p of queue) p.resolve([]);
    this.queues.clear();
  }

  private readonly flush = (): void => {
    this.scheduled = false;
    const queues = [...this.queues];
    this.queues.clear();
    for (const [serverId, pending] of queues) {
      const sent = this.send(serverId, pending);
      this.inFlight.add(sent);
      void sent.finally(() => this.inFlight.delete(sent));
    }
  };

  private async send(serverId: string, pending: Pending[]): Promise<void> {
    const parts = this.split(pending);
    const missed = await Promise.all(parts.map((part) => this.call(serverId, part.map((e) => e.push)).catch((): Missed => 'all')));
    const shares = new Map<Pending, Push[]>();
    parts.forEach((part, i) => {
      const m = missed[i] ?? NOTHING_MISSED;
      for (const { push, owner } of part) {
        const uids = m === 'all' ? push.uids : push.uids.filter((uid) => m.has(uid));
        if (uids.length === 0) continue;
        const share = uids.length === push.uids.length ? push : { payload: push.payload, uids };
        const list = shares.get(owner);
        if (list) list.push(share);
        else shares.set(owner, [share]);
      }
    });
    for (const p of pending) p.resolve(shares.get(p) ?? []);
  }

  /** The tick's pushes for one peer, in order, cut into calls within the limits. */
  private split(pending: Pending[]): Entry[][] {
    const { maxPushesPerCall, maxBytesPerCall } = this.limits;
    const parts: Entry[][] = [];
    let part: Entry[] = [];
    let bytes = 0;
    for (const owner of pending) {
      for (const push of owner.pushes) {
        if (push.uids.length === 0) continue;
        const size = estimatedBytes(push);
        if (part.length > 0 && (part.length >= maxPushesPerCall || bytes + size > maxBytesPerCall)) {
          parts.push(part);
          part = [];
          bytes = 0;
        }
        part.push({ push, owner });
        bytes += size;
      }
    }
    if (part.length > 0) parts.push(part);
    return parts;
  }
}

/** An upper bound of a push's encoded size: the body, 10 bytes per uid (the longest uint64 varint), tags and lengths. */
export function estimatedBytes(push: Push): number {
  return push.payload.json.length + push.uids.length * 10 + 16;
}
