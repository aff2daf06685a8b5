import type { Logger } from '@parley/common';
import { encodeFrameRaw } from '@parley/protocol';
import type { PeerClients } from './peer-clients';
import type { RouteStore } from './route-store';
import type { SessionRegistry } from './session-registry';
import type { UserNotifier } from './user-notifier';

/**
 * One server frame serialised once, however many users receive it: the JSON body for peers and,
 * built on first use, the full TLV frame for local sockets.
 */
export class Payload {
  private encoded: Buffer | undefined;

  constructor(
    readonly msgId: number,
    readonly json: Buffer,
  ) {}

  static of(msgId: number, body: object): Payload {
    return new Payload(msgId, Buffer.from(JSON.stringify(body), 'utf8'));
  }

  get frame(): Buffer {
    this.encoded ??= encodeFrameRaw(this.msgId, this.json);
    return this.encoded;
  }
}

export interface Delivery {
  uid: number;
  payload: Payload;
}

export interface ClusterNotifierDeps {
  serverId: string;
  registry: SessionRegistry;
  routes: RouteStore;
  peers: PeerClients;
  logger: Logger;
}

/**
 * Pushes frames to users wherever they are connected: straight to the socket when the user is on
 * this server, else through the user's Redis route to the peer's ChatPeer.Deliver (queued per
 * peer, one call per tick). Offline users are skipped: what they miss, they sync later.
 */
export class ClusterNotifier implements UserNotifier {
  private tail: Promise<void> = Promise.resolve();
  private pendingRemote = 0;

  constructor(private readonly deps: ClusterNotifierDeps) {}

  push(uid: number, msgId: number, body: object): Promise<void> {
    return this.deliver([{ uid, payload: Payload.of(msgId, body) }]);
  }

  /**
   * Delivers a batch. Local users get their frames now; the rest share one batched route lookup.
   * Remote batches run in order so a recipient sees pushes in the order they were sent.
   */
  deliver(items: readonly Delivery[]): Promise<void> {
    const remote: Delivery[] = [];
    for (const item of items) {
      const conn = this.deps.registry.get(item.uid);
      if (conn) conn.write(item.payload.frame);
      else remote.push(item);
    }
    if (remote.length === 0) return Promise.resolve();
    this.pendingRemote += remote.length;
    const step = this.tail.then(() => this.deliverRemote(remote));
    this.tail = step.finally(() => {
      this.pendingRemote -= remote.length;
    });
    return step;
  }

  async onlineState(uids: readonly number[]): Promise<Map<number, boolean>> {
    const out = new Map<number, boolean>();
    const unknown: number[] = [];
    for (const uid of uids) {
      if (this.deps.registry.get(uid)) out.set(uid, true);
      else unknown.push(uid);
    }
    const routes = await this.deps.routes.lookupMany(unknown);
    for (const uid of unknown) {
      const route = routes.get(uid);
      // A route naming this server without a local session is stale (or a login in progress).
      out.set(uid, route !== undefined && route.server !== this.deps.serverId);
    }
    return out;
  }

  /** Waits until every remote push handed in so far has been queued to its peer. */
  async drain(): Promise<void> {
    await this.tail;
  }

  get backlog(): number {
    return this.pendingRemote;
  }

  private async deliverRemote(items: Delivery[]): Promise<void> {
    const { routes, peers, serverId, logger } = this.deps;
    const uids = [...new Set(items.map((i) => i.uid))];
    let found;
    try {
      found = await routes.lookupMany(uids);
    } catch (err) {
      logger.warn({ err, users: uids.length }, 'route lookup failed; pushes dropped');
      return;
    }
    const byServer = new Map<string, { uid: number; msgId: number; body: Buffer }[]>();
    for (const item of items) {
      const route = found.get(item.uid);
      if (!route) continue;
      if (route.server === serverId) {
        // The user may have finished logging in here while the lookup ran.
        this.deps.registry.get(item.uid)?.write(item.payload.frame);
        continue;
      }
      let list = byServer.get(route.server);
      if (!list) {
        list = [];
        byServer.set(route.server, list);
      }
      list.push({ uid: item.uid, msgId: item.payload.msgId, body: item.payload.json });
    }
    for (const [server, frames] of byServer) peers.enqueue(server, frames);
  }
}
