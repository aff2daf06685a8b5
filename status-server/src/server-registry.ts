/**
 * A registry of servers of one kind, kept in Redis so it survives a status-server restart and can be
 * shared by several status-servers: a hash of records (id → JSON record) plus a hash of pending counts
 * (id → logins given that server since its last report), both under one hash tag. Nothing is cached
 * in memory. Chat and file servers each have one (chat-server-registry.ts, file-server-registry.ts).
 *
 * Liveness: a server is live while its last report is younger than STALE_AFTER_INTERVALS report
 * intervals; a server silent for FORGET_AFTER_INTERVALS is removed by prune().
 */
import { isLive, type Redis } from '@parley/common';
import { attachmentScripts } from './attachment-scripts';
import { registryScripts } from './registry-scripts';

/** Silent for this many report intervals = removed from the registry. */
export const FORGET_AFTER_INTERVALS = 12;

export interface RegistryOptions {
  reportIntervalSec: number;
  /** Clock, ms since the epoch (tests inject a fake one). */
  now?: () => number;
  /** Tie-breaker in [0, 1). */
  random?: () => number;
}

/** What every kind's record has. */
export interface ServerRecord<A extends { id: string }> {
  server: A;
  connections: number;
  lastReportMs: number;
  draining: boolean;
}

export type ServerView<R> = R & {
  /** Logins assigned since the last report. */
  pending: number;
  /** Reported recently enough to be chosen (draining servers can be healthy but are still not chosen). */
  healthy: boolean;
};

/** The keys and record format of one kind of server. */
export interface RegistryKind<A extends { id: string }, R extends ServerRecord<A>> {
  label: string;
  recordsKey: string;
  pendingKey: string;
  /** Hash id → token of the server's open attachment stream (same hash tag as recordsKey). */
  attachedKey: string;
  /** The address as stored (only the fields this kind has). */
  address: (server: A) => A;
  parse: (raw: string) => R | undefined;
}

export class ServerRegistry<A extends { id: string }, R extends ServerRecord<A>> {
  protected readonly intervalMs: number;
  protected readonly now: () => number;
  protected readonly random: () => number;

  constructor(
    protected readonly redis: Redis,
    private readonly options: RegistryOptions,
    private readonly kind: RegistryKind<A, R>,
  ) {
    this.intervalMs = options.reportIntervalSec * 1000;
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
  }

  get reportIntervalSec(): number {
    return this.options.reportIntervalSec;
  }

  /**
   * Records a load report (the first one registers the server); resets its pending count. A server
   * marked down stays down unless it is attached (attachment-scripts.ts). `attachment`: the token of its
   * stream when it is attached here. True when new.
   */
  async report(server: A, connections: number, draining: boolean, attachment = ''): Promise<boolean> {
    const record = { server: this.kind.address(server), connections, lastReportMs: this.now(), draining };
    const { recordsKey, pendingKey, attachedKey } = this.kind;
    const isNew = await attachmentScripts(this.redis).parleyRegistryReport(recordsKey, pendingKey, attachedKey, server.id, JSON.stringify(record), JSON.stringify({ ...record, down: true }), attachment);
    return isNew === 1;
  }

  /** An attachment stream opened (`token` names it): registers the server like a report and clears `down`. True when new. */
  async attach(server: A, connections: number, draining: boolean, token: string): Promise<boolean> {
    const record = { server: this.kind.address(server), connections, lastReportMs: this.now(), draining };
    const { recordsKey, pendingKey, attachedKey } = this.kind;
    return (await attachmentScripts(this.redis).parleyRegistryAttach(recordsKey, pendingKey, attachedKey, server.id, JSON.stringify(record), token)) === 1;
  }

  /** The attachment stream `token` ended: marks the server down unless it attached again since. True when marked. */
  async detach(id: string, token: string): Promise<boolean> {
    return (await attachmentScripts(this.redis).parleyRegistryDetach(this.kind.recordsKey, this.kind.attachedKey, id, token)) === 1;
  }

  /** Marks a server down (a failed probe); its next report clears it if it is attached. True when it was not down. */
  async markDown(id: string): Promise<boolean> {
    return (await attachmentScripts(this.redis).parleyRegistryMarkDown(this.kind.recordsKey, id)) === 1;
  }

  /** The registered record of `id`, if any. */
  async get(id: string): Promise<R | undefined> {
    const raw = await this.redis.hget(this.kind.recordsKey, id);
    return raw === null ? undefined : this.kind.parse(raw);
  }

  /** Removes a server at once (graceful shutdown). True when it was registered. */
  async deregister(id: string): Promise<boolean> {
    const { recordsKey, pendingKey, attachedKey } = this.kind;
    const results = await this.transaction('deregister', this.redis.multi().hdel(recordsKey, id).hdel(pendingKey, id).hdel(attachedKey, id));
    return results[0]?.[1] === 1;
  }

  /** Every known server, sorted by id, with its pending count and health at this moment. */
  async list(): Promise<ServerView<R>[]> {
    const results = await this.transaction('list', this.redis.multi().hgetall(this.kind.recordsKey).hgetall(this.kind.pendingKey));
    const records = (results[0]?.[1] ?? {}) as Record<string, string>;
    const pending = (results[1]?.[1] ?? {}) as Record<string, string>;
    const now = this.now();
    const views: ServerView<R>[] = [];
    for (const raw of Object.values(records)) {
      const record = this.kind.parse(raw);
      if (record) views.push({ ...record, pending: Number(pending[record.server.id] ?? 0), healthy: isLive(record, now, this.options.reportIntervalSec) });
    }
    return views.sort((a, b) => (a.server.id < b.server.id ? -1 : a.server.id > b.server.id ? 1 : 0));
  }

  /** Removes servers silent for FORGET_AFTER_INTERVALS (and malformed records); returns their ids. */
  prune(): Promise<string[]> {
    return registryScripts(this.redis).parleyPruneServers(this.kind.recordsKey, this.kind.pendingKey, this.kind.attachedKey, this.now(), FORGET_AFTER_INTERVALS * this.intervalMs);
  }

  private async transaction(what: string, multi: ReturnType<Redis['multi']>): Promise<[Error | null, unknown][]> {
    const results = await multi.exec();
    const failed = results?.find(([err]) => err);
    if (!results || failed) throw failed?.[0] ?? new Error(`${this.kind.label} registry ${what} transaction aborted`);
    return results;
  }
}
