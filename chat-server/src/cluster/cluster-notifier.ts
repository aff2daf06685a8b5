import { isLive, parseRecord, RedisKeys, ShedCounter, type Logger, type Redis } from '@parley/common';
import type { PeerClients } from './peer-clients';
import { Payload, PushesByServer, type Push } from './push';
import type { RouteStore } from './route-store';
import type { SessionRegistry } from '../session/session-registry';
import type { UserNotifier } from './user-notifier';

export interface ClusterNotifierDeps {
  serverId: string;
  registry: SessionRegistry;
  routes: RouteStore;
  peers: PeerClients;
  logger: Logger;
  /** The status registry (RedisKeys.chatServers) tells which servers are alive, for online state. */
  redis: Redis;
  reportIntervalSec: number;
  /** How long a user's route (the server it is on) is reused without asking Redis again. */
  routeCacheMs?: number;
  /** Remote recipients waiting for their route lookup at most (chat.notify_max_pending); beyond it pushes are dropped. */
  maxPending?: number;
  /** Their bytes at most, as `pushBytes` counts them (chat.notify_max_pending_bytes). */
  maxPendingBytes?: number;
  /** Which peers are down (peer-liveness.ts): their users count as offline. Default: none is. */
  liveness?: { isDown(serverId: string): boolean };
}

/** What a push waiting here is charged: its body and 8 bytes per recipient (the uid array). */
function pushBytes(push: Push): number {
  return push.payload.json.length + 8 * push.uids.length;
}

/** Remembered routes beyond this many are forgotten at once (a crude bound; they are cheap to refetch). */
const ROUTE_CACHE_MAX = 200_000;

/**
 * Pushes frames to users wherever they are connected: straight to the socket when the user is on
 * this server, else through the user's Redis route to the peer's ChatPeer.Deliver (one call per
 * peer and tick, each push's body once with that peer's recipients). Offline users are skipped:
 * what they miss, they sync later.
 *
 * Routes are remembered for `routeCacheMs` (the server only, per uid), so a busy conversation
 * costs no Redis round trip per push. A remembered route that went stale is noticed by the peer
 * (its Deliver reply lists the users not connected there) or by a failed call: PeerClients hands
 * those users' share back, their routes are forgotten, looked up again, and their pushes sent once
 * more where they are now.
 *
 * Remote pushes wait in one ordered chain while their routes are looked up. The chain is bounded
 * (maxPending recipients, maxPendingBytes): a push that would pass the bound is dropped for its
 * remote recipients, counted and logged. Nothing acked is lost by that — the message is stored
 * before any push, and the recipient finds it by seq sync.
 *
 * A route naming a peer that is down (peer-liveness.ts) is stale: its user counts as offline, nothing is
 * sent there (the user syncs on the next login), and the route is deleted if it still names that peer.
 * So pushes to the users of a crashed server stop failing as soon as its death is known, rather than
 * when their routes expire.
 */
export class ClusterNotifier implements UserNotifier {
  private tail: Promise<void> = Promise.resolve();
  private pendingRemote = 0;
  private pendingBytes = 0;
  private readonly routeCache = new Map<number, { server: string; until: number }>();
  private readonly routeCacheMs: number;
  private readonly maxPending: number;
  private readonly maxPendingBytes: number;
  private readonly shed: ShedCounter;

  constructor(private readonly deps: ClusterNotifierDeps) {
    this.routeCacheMs = deps.routeCacheMs ?? 3000;
    this.maxPending = deps.maxPending ?? Infinity;
    this.maxPendingBytes = deps.maxPendingBytes ?? Infinity;
    this.shed = new ShedCounter(deps.logger, 'pushes to other servers dropped: notifier queue full (recipients will sync)', 'notify_shed');
  }

  push(uid: number, msgId: number, body: object): Promise<void> {
    return this.deliver([{ payload: Payload.of(msgId, body), uids: [uid] }]);
  }

  pushMany(uids: readonly number[], msgId: number, body: object): Promise<void> {
    return this.deliver([{ payload: Payload.of(msgId, body), uids }]);
  }

  /**
   * Delivers a batch. Local users get their frames now (each payload encoded once); the rest
   * share one batched route lookup. Remote batches run in order so a recipient sees pushes in
   * the order they were sent.
   */
  deliver(pushes: readonly Push[]): Promise<void> {
    const remote: Push[] = [];
    let recipients = 0;
    for (const push of pushes) {
      let away: number[] | undefined;
      for (const uid of push.uids) {
        const conn = this.deps.registry.get(uid);
        if (conn) conn.write(push.payload.frame);
        else (away ??= []).push(uid);
      }
      if (!away) continue;
      remote.push({ payload: push.payload, uids: away });
      recipients += away.length;
    }
    if (remote.length === 0) return Promise.resolve();
    return this.enqueue(remote, recipients, () => this.deliverRemote(remote));
  }

  /** Chains a routing step behind the others, or drops it (counted) when the chain is at its bound. */
  private enqueue(pushes: readonly Push[], recipients: number, run: () => Promise<void>): Promise<void> {
    let bytes = 0;
    for (const push of pushes) bytes += pushBytes(push);
    // An empty chain takes any one step, so no bound can refuse everything.
    const idle = this.pendingRemote === 0;
    if (!idle && (this.pendingRemote + recipients > this.maxPending || this.pendingBytes + bytes > this.maxPendingBytes)) {
      this.shed.add(recipients, { waiting: this.pendingRemote, waitingBytes: this.pendingBytes });
      return Promise.resolve();
    }
    this.pendingRemote += recipients;
    this.pendingBytes += bytes;
    const step = this.tail.then(run);
    // A failed step must not stop the ones queued behind it.
    this.tail = step
      .catch(() => undefined)
      .finally(() => {
        this.pendingRemote -= recipients;
        this.pendingBytes -= bytes;
      });
    return step;
  }

  /** Remote recipients dropped so far because the chain was full. */
  get dropped(): number {
    return this.shed.total;
  }

  async onlineState(uids: readonly number[]): Promise<Map<number, boolean>> {
    const out = new Map<number, boolean>();
    const unknown: number[] = [];
    for (const uid of uids) {
      if (this.deps.registry.get(uid)) out.set(uid, true);
      else unknown.push(uid);
    }
    const routes = await this.deps.routes.lookupMany(unknown);
    const elsewhere = [...routes.values()].some((r) => r.server !== this.deps.serverId);
    const silent = elsewhere ? await this.silentServers() : new Set<string>();
    for (const uid of unknown) {
      const route = routes.get(uid);
      // A route naming this server without a local session is stale (or a login in progress); one
      // naming a server that is down or stopped reporting (it crashed) is stale until cleaned or expired.
      out.set(uid, route !== undefined && route.server !== this.deps.serverId && !silent.has(route.server) && !this.isDown(route.server));
    }
    return out;
  }

  /**
   * Ids of the chat servers the status registry knows but that are down or stopped reporting (the
   * status-server's liveness rule). A server it has no record of is not counted as dead.
   */
  private async silentServers(): Promise<Set<string>> {
    const records = await this.deps.redis.hgetall(RedisKeys.chatServers);
    const now = Date.now();
    const silent = new Set<string>();
    for (const [id, raw] of Object.entries(records)) {
      const record = parseRecord(raw);
      if (record && !isLive(record, now, this.deps.reportIntervalSec)) silent.add(id);
    }
    return silent;
  }

  /** Waits until every remote push handed in so far has been queued to its peer. */
  async drain(): Promise<void> {
    await this.tail;
  }

  /** Remote recipients not yet queued to their peer. */
  get backlog(): number {
    return this.pendingRemote;
  }

  private async deliverRemote(pushes: Push[]): Promise<void> {
    const { routes, registry, serverId, logger } = this.deps;
    const now = Date.now();
    const servers = new Map<number, string>();
    const unknown = new Set<number>();
    for (const push of pushes) {
      for (const uid of push.uids) {
        if (servers.has(uid) || unknown.has(uid)) continue;
        const cached = this.routeCache.get(uid);
        if (cached && cached.until > now) servers.set(uid, cached.server);
        else unknown.add(uid);
      }
    }
    if (unknown.size > 0) {
      let found;
      try {
        found = await routes.lookupMany([...unknown]);
      } catch (err) {
        logger.warn({ err, users: unknown.size }, 'route lookup failed; pushes dropped');
        return;
      }
      for (const [uid, route] of found) {
        servers.set(uid, route.server);
        if (route.server !== serverId) this.remember(uid, route.server);
      }
    }
    const stale = new Map<string, number[]>();
    const byServer = new PushesByServer();
    for (const push of pushes) {
      for (const uid of push.uids) {
        const server = servers.get(uid);
        if (server === undefined) continue;
        if (this.isDown(server)) {
          this.staleRoute(stale, uid, server);
          continue;
        }
        // The user may have finished logging in here while the lookup ran.
        if (server === serverId) registry.get(uid)?.write(push.payload.frame);
        else byServer.add(server, push.payload, uid);
      }
    }
    this.cleanStale(stale);
    this.send(byServer, true);
  }

  private isDown(server: string): boolean {
    return this.deps.liveness?.isDown(server) ?? false;
  }

  private staleRoute(stale: Map<string, number[]>, uid: number, server: string): void {
    this.routeCache.delete(uid);
    const list = stale.get(server);
    if (!list) stale.set(server, [uid]);
    else if (!list.includes(uid)) list.push(uid);
  }

  /** Deletes routes that still name a down peer (not awaited: the pushes do not wait for it). */
  private cleanStale(stale: Map<string, number[]>): void {
    for (const [server, uids] of stale) {
      this.deps.routes.releaseStale(uids, server).then(
        (removed) => {
          if (removed > 0) this.deps.logger.debug({ server, removed }, 'stale routes to a down peer removed');
        },
        (err: unknown) => this.deps.logger.warn({ err, server }, 'stale route cleanup failed'),
      );
    }
  }

  /** Hands each server its pushes; what a peer misses comes back to `missed`. Not awaited: a slow peer holds up no one. */
  private send(byServer: PushesByServer, firstTry: boolean): void {
    for (const [server, pushes] of byServer.entries()) {
      void this.deps.peers.deliver(server, pushes).then((missed) => this.missed(server, missed, firstTry));
    }
  }

  /**
   * `server` did not deliver these (its users were not there, or the call failed). Their
   * remembered routes are dropped and, the first time, each push is sent once more to where Redis
   * says its users are now, in order behind the pushes already on their way.
   */
  private missed(server: string, pushes: Push[], firstTry: boolean): void {
    if (pushes.length === 0) return;
    for (const push of pushes) {
      for (const uid of push.uids) if (this.routeCache.get(uid)?.server === server) this.routeCache.delete(uid);
    }
    if (!firstTry) return;
    let recipients = 0;
    for (const push of pushes) recipients += push.uids.length;
    void this.enqueue(pushes, recipients, () => this.resend(server, pushes));
  }

  private async resend(failedServer: string, pushes: Push[]): Promise<void> {
    const { routes, registry, serverId, logger } = this.deps;
    const uids = new Set<number>();
    for (const push of pushes) for (const uid of push.uids) uids.add(uid);
    let found;
    try {
      found = await routes.lookupMany([...uids]);
    } catch (err) {
      logger.warn({ err, users: uids.size }, 'route lookup failed; pushes dropped');
      return;
    }
    const stale = new Map<string, number[]>();
    const byServer = new PushesByServer();
    for (const push of pushes) {
      for (const uid of push.uids) {
        const local = registry.get(uid);
        if (local) {
          local.write(push.payload.frame);
          continue;
        }
        const route = found.get(uid);
        if (!route || route.server === serverId) continue;
        if (this.isDown(route.server)) {
          this.staleRoute(stale, uid, route.server);
          continue;
        }
        if (route.server === failedServer) continue;
        this.remember(uid, route.server);
        byServer.add(route.server, push.payload, uid);
      }
    }
    this.cleanStale(stale);
    // Never a third time: what this misses, the users sync.
    this.send(byServer, false);
  }

  private remember(uid: number, server: string): void {
    if (this.routeCache.size >= ROUTE_CACHE_MAX) this.routeCache.clear();
    this.routeCache.set(uid, { server, until: Date.now() + this.routeCacheMs });
  }
}
