/**
 * The registry of file servers: hash RedisKeys.fileServers (id → JSON FileServerRecord) plus hash
 * FILE_PENDING_KEY (id → logins given that server since its last report). The same liveness rule
 * as chat servers (live while the last report is younger than STALE_AFTER_INTERVALS intervals,
 * removed after FORGET_AFTER_INTERVALS); the choice is the least loaded, with no sticky step.
 */
import { isLive, parseFileRecord, RedisKeys, STALE_AFTER_INTERVALS, type FileServerRecord, type Redis } from '@parley/common';
import { FORGET_AFTER_INTERVALS, type RegistryOptions } from './chat-server-registry';
import { registryScripts } from './registry-scripts';
import { FILE_PENDING_KEY, pickFileServer } from './server-picker';

export type FileServerAddress = FileServerRecord['server'];

export interface FileServerView extends FileServerRecord {
  pending: number;
  healthy: boolean;
}

export class FileServerRegistry {
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
  async report(server: FileServerAddress, connections: number, draining: boolean): Promise<boolean> {
    const record: FileServerRecord = { server: { id: server.id, host: server.host, tcpPort: server.tcpPort }, connections, lastReportMs: this.now(), draining };
    const results = await this.redis.multi().hset(RedisKeys.fileServers, server.id, JSON.stringify(record)).hdel(FILE_PENDING_KEY, server.id).exec();
    const failed = results?.find(([err]) => err);
    if (!results || failed) throw failed?.[0] ?? new Error('file registry report transaction aborted');
    return results[0]?.[1] === 1;
  }

  /** Removes a server at once (graceful shutdown). True when it was registered. */
  async deregister(id: string): Promise<boolean> {
    const results = await this.redis.multi().hdel(RedisKeys.fileServers, id).hdel(FILE_PENDING_KEY, id).exec();
    const failed = results?.find(([err]) => err);
    if (!results || failed) throw failed?.[0] ?? new Error('file registry deregister transaction aborted');
    return results[0]?.[1] === 1;
  }

  /** The least-loaded live file server, counted as given one more login; undefined when none is live. */
  choose(): Promise<FileServerRecord | undefined> {
    return pickFileServer(this.redis, { nowMs: this.now(), staleAfterMs: STALE_AFTER_INTERVALS * this.intervalMs, random: this.random() });
  }

  /** Every known file server, sorted by id, with its pending count and health. */
  async list(): Promise<FileServerView[]> {
    const results = await this.redis.multi().hgetall(RedisKeys.fileServers).hgetall(FILE_PENDING_KEY).exec();
    const failed = results?.find(([err]) => err);
    if (!results || failed) throw failed?.[0] ?? new Error('file registry list transaction aborted');
    const records = (results[0]?.[1] ?? {}) as Record<string, string>;
    const pending = (results[1]?.[1] ?? {}) as Record<string, string>;
    const now = this.now();
    const views: FileServerView[] = [];
    for (const raw of Object.values(records)) {
      const record = parseFileRecord(raw);
      if (record) views.push({ ...record, pending: Number(pending[record.server.id] ?? 0), healthy: isLive(record, now, this.options.reportIntervalSec) });
    }
    return views.sort((a, b) => (a.server.id < b.server.id ? -1 : a.server.id > b.server.id ? 1 : 0));
  }

  /** Removes file servers silent for FORGET_AFTER_INTERVALS (and malformed records); returns their ids. */
  prune(): Promise<string[]> {
    return registryScripts(this.redis).parleyPruneServers(RedisKeys.fileServers, FILE_PENDING_KEY, this.now(), FORGET_AFTER_INTERVALS * this.intervalMs);
  }
}
