/**
 * The registry of chat servers, kept in Redis so it survives a status-server restart and can be shared by
 * several status-servers: hash RedisKeys.chatServers (id → JSON ChatServerRecord) plus hash PENDING_KEY
 * (id → logins assigned since the last report). Nothing is cached in memory.
 *
 * Liveness: a server is live while its last report is younger than STALE_AFTER_INTERVALS report intervals;
 * a server silent for FORGET_AFTER_INTERVALS is removed by prune().
 */
import { isLive, parseRecord, RedisKeys, STALE_AFTER_INTERVALS, type ChatServerRecord, type Redis } from '@parley/common';

export { isLive, parseRecord, STALE_AFTER_INTERVALS } from '@parley/common';
import { registryScripts } from './registry-scripts';
import { PENDING_KEY, pickChatServer, type PickResult } from './server-picker';

/** Silent for this many report intervals = removed from the registry. */
export const FORGET_AFTER_INTERVALS = 12;

export type ChatServerAddress = ChatServerRecord['server'];

export interface ChatServerView extends ChatServerRecord {
  /** Logins assigned since the last report. */
  pending: number;
  /** Reported recently enough to be chosen (draining servers can be healthy but are still not chosen). */
  healthy: boolean;
}

export interface RegistryOptions {
  reportIntervalSec: number;
  /** Clock, ms since the epoch (tests inject a fake one). */
  now?: () => number;
  /** Tie-breaker in [0, 1). */
  random?: () => number;
}

export class ChatServerRegistry {
  private readonly intervalMs: number;
  private readonly now: () => number;
  private readonly random: () => number;

  constructor(
    private readonly redis: Redis,
    private readonly options: RegistryOptions,
  ) {
    this.intervalMs = options.reportIntervalSec * 1000;
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
  }

  get reportIntervalSec(): number {
    return this.options.reportIntervalSec;
  }

  /** Records a load report (the first one registers the server); resets its pending count. True when new. */
  async report(server: ChatServerAddress, connections: number, draining: boolean): Promise<boolean> {
    const record: ChatServerRecord = { server: { id: server.id, host: server.host, tcpPort: server.tcpPort, grpcPort: server.grpcPort }, connections, lastReportMs: this.now(), draining };
    const results = await this.redis.multi().hset(RedisKeys.chatServers, server.id, JSON.stringify(record)).hdel(PENDING_KEY, server.id).exec();
    const failed = results?.find(([err]) => err);
    if (!results || failed) throw failed?.[0] ?? new Error('registry report transaction aborted');
    return results[0]?.[1] === 1;
  }

  /** Removes a server at once (graceful shutdown). True when it was registered. */
  async deregister(id: string): Promise<boolean> {
    const results = await this.redis.multi().hdel(RedisKeys.chatServers, id).hdel(PENDING_KEY, id).exec();
    const failed = results?.find(([err]) => err);
    if (!results || failed) throw failed?.[0] ?? new Error('registry deregister transaction aborted');
    return results[0]?.[1] === 1;
  }

  /** Chooses a chat server for uid (see server-picker.ts); undefined when none is live and not draining. */
  choose(uid: number): Promise<PickResult | undefined> {
    return pickChatServer(this.redis, uid, { nowMs: this.now(), staleAfterMs: STALE_AFTER_INTERVALS * this.intervalMs, random: this.random() });
  }

  /** Every known server, sorted by id, with its pending count and health at this moment. */
  async list(): Promise<ChatServerView[]> {
    const results = await this.redis.multi().hgetall(RedisKeys.chatServers).hgetall(PENDING_KEY).exec();
    const failed = results?.find(([err]) => err);
    if (!results || failed) throw failed?.[0] ?? new Error('registry list transaction aborted');
    const records = (results[0]?.[1] ?? {}) as Record<string, string>;
    const pending = (results[1]?.[1] ?? {}) as Record<string, string>;
    const now = this.now();
    const views: ChatServerView[] = [];
    for (const raw of Object.values(records)) {
      const record = parseRecord(raw);
      if (!record) continue;
      views.push({ ...record, pending: Number(pending[record.server.id] ?? 0), healthy: isLive(record, now, this.options.reportIntervalSec) });
    }
    return views.sort((a, b) => (a.server.id < b.server.id ? -1 : a.server.id > b.server.id ? 1 : 0));
  }

  /** Removes servers silent for FORGET_AFTER_INTERVALS (and malformed records); returns their ids. */
  prune(): Promise<string[]> {
    return registryScripts(this.redis).parleyPruneServers(RedisKeys.chatServers, PENDING_KEY, this.now(), FORGET_AFTER_INTERVALS * this.intervalMs);
  }
}
