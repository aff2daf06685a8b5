import { RedisKeys, type Redis } from '@parley/common';

/** Where a user's session lives: the chat server id and the session id on it. */
export interface Route {
  server: string;
  session: string;
}

/** What a refresh found: the route was ours (kept or recreated), or another session now holds it. */
export type RefreshOutcome = 'kept' | 'recreated' | 'superseded';

// Sets the new route and returns the previous one, atomically: two logins racing on two servers
// always agree on which of them came second (the one that saw the other as "previous").
const CLAIM_LUA = `
local old = redis.call('HMGET', KEYS[1], 'server', 'session')
redis.call('HSET', KEYS[1], 'server', ARGV[1], 'session', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return old`;

// Deletes the route only while it still names this session (a newer login elsewhere keeps its own).
const RELEASE_LUA = `
if redis.call('HGET', KEYS[1], 'session') == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0`;

// Deletes the route only while it still names the given server (a dead one): a login elsewhere keeps its own.
const RELEASE_STALE_LUA = `
if redis.call('HGET', KEYS[1], 'server') == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0`;

// Extends our route; recreates it when it vanished (Redis restarted, TTL raced); reports when a
// newer session holds it, so a session whose Kick never arrived still learns it was replaced.
const REFRESH_LUA = `
local s = redis.call('HGET', KEYS[1], 'session')
if s == ARGV[2] then
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
  return 1
end
if not s then
  redis.call('HSET', KEYS[1], 'server', ARGV[1], 'session', ARGV[2])
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
  return 2
end
return 0`;

interface RouteCommands {
  parleyRouteClaim(key: string, server: string, session: string, ttlMs: number): Promise<(string | null)[]>;
  parleyRouteRelease(key: string, session: string): Promise<number>;
  parleyRouteReleaseStale(key: string, server: string): Promise<number>;
  parleyRouteRefresh(key: string, server: string, session: string, ttlMs: number): Promise<number>;
}

type RoutePipeline = {
  parleyRouteRelease(key: string, session: string): RoutePipeline;
  parleyRouteReleaseStale(key: string, server: string): RoutePipeline;
  parleyRouteRefresh(key: string, server: string, session: string, ttlMs: number): RoutePipeline;
  hmget(key: string, ...fields: string[]): RoutePipeline;
  exec(): Promise<[Error | null, unknown][] | null>;
};

const defined = new WeakSet<Redis>();

function commands(redis: Redis): RouteCommands {
  if (!defined.has(redis)) {
    redis.defineCommand('parleyRouteClaim', { numberOfKeys: 1, lua: CLAIM_LUA });
    redis.defineCommand('parleyRouteRelease', { numberOfKeys: 1, lua: RELEASE_LUA });
    redis.defineCommand('parleyRouteReleaseStale', { numberOfKeys: 1, lua: RELEASE_STALE_LUA });
    redis.defineCommand('parleyRouteRefresh', { numberOfKeys: 1, lua: REFRESH_LUA });
    defined.add(redis);
  }
  return redis as unknown as RouteCommands;
}

/**
 * The uid → { server, session } routes in Redis (RedisKeys.route). One chat server writes a
 * user's route when the user logs in there; every server reads it to deliver across the cluster.
 */
export class RouteStore {
  private readonly cmd: RouteCommands;

  constructor(
    private readonly redis: Redis,
    readonly serverId: string,
    /** Lifetime of a route without a refresh. */
    readonly ttlMs: number,
  ) {
    this.cmd = commands(redis);
  }

  /** Points uid's route at this server's `session`; returns the route it replaced, if any. */
  async claim(uid: number, session: string): Promise<Route | undefined> {
    const [server, oldSession] = await this.cmd.parleyRouteClaim(RedisKeys.route(uid), this.serverId, session, this.ttlMs);
    return server && oldSession ? { server, session: oldSession } : undefined;
  }

  /** Removes uid's route if it still names `session`; true when it was removed. */
  async release(uid: number, session: string): Promise<boolean> {
    return (await this.cmd.parleyRouteRelease(RedisKeys.route(uid), session)) === 1;
  }

  /** Releases many routes in one round trip (shutdown). */
  async releaseMany(entries: readonly { uid: number; session: string }[]): Promise<void> {
    if (entries.length === 0) return;
    const p = this.redis.pipeline() as unknown as RoutePipeline;
    for (const e of entries) p.parleyRouteRelease(RedisKeys.route(e.uid), e.session);
    await p.exec();
  }

  /** Removes the routes of users that still name `server` (a peer that is down); resolves how many went. */
  async releaseStale(uids: readonly number[], server: string): Promise<number> {
    if (uids.length === 0) return 0;
    const p = this.redis.pipeline() as unknown as RoutePipeline;
    for (const uid of uids) p.parleyRouteReleaseStale(RedisKeys.route(uid), server);
    const results = (await p.exec()) ?? [];
    return results.filter(([err, value]) => !err && value === 1).length;
  }

  /** Refreshes the TTL of many of this server's routes in one round trip. */
  async refreshMany(entries: readonly { uid: number; session: string }[]): Promise<RefreshOutcome[]> {
    if (entries.length === 0) return [];
    const p = this.redis.pipeline() as unknown as RoutePipeline;
    for (const e of entries) p.parleyRouteRefresh(RedisKeys.route(e.uid), this.serverId, e.session, this.ttlMs);
    const results = (await p.exec()) ?? [];
    return entries.map((_, i) => {
      const [err, value] = results[i] ?? [new Error('missing reply'), null];
      if (err) throw err;
      return value === 0 ? 'superseded' : value === 2 ? 'recreated' : 'kept';
    });
  }

  /** The current routes of many users in one round trip; users without a route are absent. */
  async lookupMany(uids: readonly number[]): Promise<Map<number, Route>> {
    const out = new Map<number, Route>();
    if (uids.length === 0) return out;
    const p = this.redis.pipeline() as unknown as RoutePipeline;
    for (const uid of uids) p.hmget(RedisKeys.route(uid), 'server', 'session');
    const results = (await p.exec()) ?? [];
    uids.forEach((uid, i) => {
      const [err, value] = results[i] ?? [new Error('missing reply'), null];
      if (err) throw err;
      const [server, session] = (value as (string | null)[] | null) ?? [];
      if (server && session) out.set(uid, { server, session });
    });
    return out;
  }
}
