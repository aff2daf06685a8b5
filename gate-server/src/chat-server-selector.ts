/**
 * Which chat server answers a REST call for uid (docs/http-api.md, "Which chat server answers"):
 * 1. the user's own server (route(uid).server) when it is live and not draining, so a user's REST
 *    sends and TCP sends meet in one committer and keep their order;
 * 2. else the live, non-draining server with the fewest connections (ties broken at random);
 * 3. else, when the registry knows none (the status-server is down), one from config.ini at random.
 * Liveness is common's rule (isLive), the one the status-server and the chat servers apply.
 */
import { isLive, parseRecord, ParleyError, RedisKeys, type ChatInstanceConfig, type ChatServerRecord, type Redis } from '@parley/common';

export interface ChatTarget {
  id: string;
  host: string;
  port: number;
}

export interface ChatServerSelectorOptions {
  redis: Redis;
  configured: readonly ChatInstanceConfig[];
  reportIntervalSec: number;
  /** Clock, ms since the epoch (tests inject one). */
  now?: () => number;
  /** In [0, 1). */
  random?: () => number;
}

export class ChatServerSelector {
  private readonly now: () => number;
  private readonly random: () => number;

  constructor(private readonly options: ChatServerSelectorOptions) {
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
  }

  /** The server to call for uid, skipping `exclude` (servers that just failed); undefined when none is known. */
  async choose(uid: number, exclude: ReadonlySet<string> = new Set()): Promise<ChatTarget | undefined> {
    const { route, records } = await this.read(uid);
    const now = this.now();
    const live: ChatServerRecord[] = [];
    const draining = new Set<string>();
    for (const raw of Object.values(records)) {
      const rec = parseRecord(raw);
      if (!rec || !isLive(rec, now, this.options.reportIntervalSec)) continue;
      if (rec.draining) draining.add(rec.server.id);
      else if (!exclude.has(rec.server.id) && rec.server.grpcPort > 0) live.push(rec);
    }
    const routed = route === null ? undefined : live.find((r) => r.server.id === route);
    if (routed) return target(routed);
    if (live.length > 0) {
      const fewest = Math.min(...live.map((r) => r.connections));
      const best = live.filter((r) => r.connections === fewest);
      return target(best[Math.floor(this.random() * best.length)] as ChatServerRecord);
    }
    const fallback = this.options.configured.filter((c) => c.grpcPort > 0 && !exclude.has(c.id) && !draining.has(c.id));
    const pick = fallback[Math.floor(this.random() * fallback.length)];
    return pick ? { id: pick.id, host: pick.grpcHost || pick.host, port: pick.grpcPort } : undefined;
  }

  /** The user's route and the registry in one round trip. */
  private async read(uid: number): Promise<{ route: string | null; records: Record<string, string> }> {
    let results: [Error | null, unknown][] | null;
    try {
      results = await this.options.redis.pipeline().hget(RedisKeys.route(uid), 'server').hgetall(RedisKeys.chatServers).exec();
    } catch (err) {
      throw new ParleyError('UNAVAILABLE', 'Redis is unreachable', { cause: err });
    }
    const failed = results?.find(([err]) => err);
    if (!results || failed) throw new ParleyError('UNAVAILABLE', 'Redis is unreachable', { cause: failed?.[0] });
    return { route: (results[0]?.[1] as string | null) ?? null, records: (results[1]?.[1] as Record<string, string> | null) ?? {} };
  }
}

function target(rec: ChatServerRecord): ChatTarget {
  return { id: rec.server.id, host: rec.server.grpcHost || rec.server.host, port: rec.server.grpcPort };
}
