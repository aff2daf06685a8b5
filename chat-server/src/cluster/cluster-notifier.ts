import { isLive, parseRecord, RedisKeys, type Logger, type PeerFrame, type Redis } from '@parley/common';
import { encodeFrameRaw } from '@parley/protocol';
import type { PeerClients } from './peer-clients';
import type { RouteStore } from './route-store';
import type { SessionRegistry } from '../session/session-registry';
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
  /** The status registry (RedisKeys.chatServers) tells which servers are alive, for online state. */
  redis: Redis;
  reportIntervalSec: number;
  /** How long a user's route (the server it is on) is reused without asking Redis again. */
  routeCacheMs?: number;
}

/** Remembered routes beyond this many are forgotten at once (a crude bound; they are cheap to refetch). */
const ROUTE_CACHE_MAX = 200_000;

/**
 * Pushes frames to users wherever they are connected: straight to the socket when the user is on
 * this server, else through the user's Redis route to the peer's ChatPeer.Deliver (queued per
 * peer, one call per tick). Offline users are skipped: what they miss, they sync later.
 *
 * Routes are remembered for `routeCacheMs` (the server only, per uid), so a busy conversation
 * costs no Redis round trip per push. A remembered route that went stale is noticed by the peer
 * (its Deliver reply lists the users not connected there) or by a failed call: those users'
 * routes are forgotten, looked up again, and their frames sent once more where they are now.
 */
export class ClusterNotifier implements UserNotifier {
  private tail: Promise<void> = Promise.resolve();
  private pendingRemote = 0;
  private readonly routeCache = new Map<number, { server: string; until: number }>();
  private readonly routeCacheMs: number;
  /** Frames already sent a second time: never a third. */
  private readonly resent = new WeakSet<PeerFrame>();

  constructor(private readonly deps: ClusterNotifierDeps) {
    this.routeCacheMs = deps.routeCacheMs ?? 3000;
  }

  push(uid: number, msgId: number, body: object): Promise<void> {
    return this.deliver([{ uid, payload: Payload.of(msgId, body) }]);
  }

  pushMany(uids: readonly number[], msgId: number, body: object): Promise<void> {
    const payload = Payload.of(msgId, body);
    return this.deliver(uids.map((uid) => ({ uid, payload })));
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
    const elsewhere = [...routes.values()].some((r) => r.server !== this.deps.serverId);
    const silent = elsewhere ? await this.silentServers() : new Set<string>();
    for (const uid of unknown) {
      const route = routes.get(uid);
      // A route naming this server without a local session is stale (or a login in progress); one
      // naming a server that stopped reporting (it crashed) is stale until its TTL runs out.
      out.set(uid, route !== undefined && route.server !== this.deps.serverId && !silent.has(route.server));
    }
    return out;
  }

  /**
   * Ids of the chat servers the status registry knows but that stopped reporting (the status-server's
   * liveness rule). A server it has no record of is not counted as dead.
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

  get backlog(): number {
    return this.pendingRemote;
  }

  /**
   * PeerClients' onUndelivered: the frames' users were not on `serverId` (or the call failed).
   * Their remembered routes are dropped and each frame is sent once more to where Redis says the
   * user is now, in order behind the pushes already on their way.
   */
  undelivered(serverId: string, frames: readonly PeerFrame[]): void {
    const retry: PeerFrame[] = [];
    for (const f of frames) {
      const uid = Number(f.uid);
      if (this.routeCache.get(uid)?.server === serverId) this.routeCache.delete(uid);
      if (!this.resent.has(f)) retry.push(f);
    }
    if (retry.length === 0) return;
    const step = this.tail.then(() => this.resend(serverId, retry));
    this.tail = step.catch(() => undefined);
  }

  private async resend(failedServer: string, frames: PeerFrame[]): Promise<void> {
    const { routes, peers, registry, serverId, logger } = this.deps;
    let found;
    try {
      found = await routes.lookupMany([...new Set(frames.map((f) => Number(f.uid)))]);
    } catch (err) {
      logger.warn({ err, frames: frames.length }, 'route lookup failed; pushes dropped');
      return;
    }
    const byServer = new Map<string, PeerFrame[]>();
    for (const f of frames) {
      const uid = Number(f.uid);
      const local = registry.get(uid);
      if (local) {
        // Frames queued here are always complete (cluster-notifier builds them).
        local.write(encodeFrameRaw(f.msgId as number, f.body as Buffer));
        continue;
      }
      const route = found.get(uid);
      if (!route || route.server === failedServer || route.server === serverId) continue;
      this.remember(uid, route.server);
      this.resent.add(f);
      append(byServer, route.server, f);
    }
    for (const [server, list] of byServer) peers.enqueue(server, list);
  }

  private remember(uid: number, server: string): void {
    if (this.routeCache.size >= ROUTE_CACHE_MAX) this.routeCache.clear();
    this.routeCache.set(uid, { server, until: Date.now() + this.routeCacheMs });
  }

  private async deliverRemote(items: Delivery[]): Promise<void> {
    const { routes, peers, serverId, logger } = this.deps;
    const now = Date.now();
    const servers = new Map<number, string>();
    const unknown = new Set<number>();
    for (const item of items) {
      if (servers.has(item.uid) || unknown.has(item.uid)) continue;
      const cached = this.routeCache.get(item.uid);
      if (cached && cached.until > now) servers.set(item.uid, cached.server);
      else unknown.add(item.uid);
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
    const byServer = new Map<string, PeerFrame[]>();
    for (const item of items) {
      const server = servers.get(item.uid);
      if (server === undefined) continue;
      if (server === serverId) {
        // The user may have finished logging in here while the lookup ran.
        this.deps.registry.get(item.uid)?.write(item.payload.frame);
        continue;
      }
      append(byServer, server, { uid: item.uid, msgId: item.payload.msgId, body: item.payload.json });
    }
    for (const [server, frames] of byServer) peers.enqueue(server, frames);
  }
}

function append<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
