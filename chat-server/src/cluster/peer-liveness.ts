import { chatPeerAddress, parseRecord, probeChatServer, RedisKeys, type ChatInstanceConfig, type ClusterChange, type ClusterCredentials, type Logger, type Redis } from '@parley/common';

export interface PeerLivenessOptions {
  selfId: string;
  redis: Redis;
  reportIntervalSec: number;
  credentials: ClusterCredentials;
  /** [chat.<id>] sections: where a peer the registry does not know listens. */
  configured: readonly ChatInstanceConfig[];
  /** Asks the status-server to probe a peer we could not reach; resolves true when it is now marked down. */
  suspect: (serverId: string) => Promise<boolean>;
  logger: Logger;
  /** Period of the registry read that catches what no event told us. Default the report interval. */
  refreshMs?: number;
}

/** A peer is suspected (and the status-server asked to probe it) at most once per this many ms. */
const SUSPECT_EVERY_MS = 1000;
/** How long our own probe of a down peer may take to connect. */
const PROBE_TIMEOUT_MS = 1000;

/**
 * Which other chat servers are down, as this server knows it: from its status-server attachment (a
 * peer's stream ended: milliseconds after a kill -9), from its own failed calls (it asks the
 * status-server to probe, which marks the peer down when unreachable), and from the status registry
 * read once per report interval (records marked down), which covers what no event reported. A down
 * peer's users count as offline: nothing is pushed to them (they sync when they log in again) and
 * their routes are cleaned as they are found (cluster-notifier.ts).
 *
 * Only an explicit `down` counts, never mere silence: with the status-server gone for a while every
 * record falls silent, and cross-server delivery must go on. Marks are kept only while this server is
 * attached to a status-server (which says when a peer is back), and a down peer is probed once per
 * period and is up again as soon as it accepts a connection.
 */
export class PeerLiveness {
  /** Down peers → when we learned it (ms). */
  private readonly down = new Map<string, number>();
  private readonly suspected = new Map<string, number>();
  private readonly timer: NodeJS.Timeout;
  private refreshing: Promise<void> | undefined;
  /** Whether this server is attached to a status-server, which would tell it when a down peer is back. */
  private attached = false;

  constructor(private readonly options: PeerLivenessOptions) {
    this.timer = setInterval(() => void this.refresh(), options.refreshMs ?? options.reportIntervalSec * 1000);
    this.timer.unref();
  }

  isDown(serverId: string): boolean {
    return this.down.has(serverId);
  }

  /** An event from the status-server attachment. */
  readonly onChange = (change: ClusterChange): void => {
    if ('down' in change) this.markDown(change.down, 'status-server');
    else if ('up' in change) this.markUp(change.up);
    else this.setAttached(change.attached);
  };

  /**
   * Down marks are only kept while attached: without a status-server nobody says that a peer is back,
   * so every peer is tried again (a failed call costs little; a wrongly skipped push is lost).
   */
  private setAttached(attached: boolean): void {
    this.attached = attached;
    if (attached) {
      void this.refresh();
      return;
    }
    if (this.down.size > 0) this.options.logger.info({ peers: [...this.down.keys()] }, 'detached from the status-server: peers marked down are tried again');
    this.down.clear();
  }

  /** A call to `serverId` failed as UNAVAILABLE: ask the status-server to probe it (not awaited). */
  unreachable(serverId: string): void {
    const now = Date.now();
    if (!this.attached) return;
    if (this.down.has(serverId) || now - (this.suspected.get(serverId) ?? 0) < SUSPECT_EVERY_MS) return;
    this.suspected.set(serverId, now);
    this.options.suspect(serverId).then(
      (isDown) => {
        if (isDown) this.markDown(serverId, 'probe');
      },
      (err: unknown) => this.options.logger.debug({ err, server: serverId }, 'suspect report failed'),
    );
  }

  /**
   * Reads the status registry: records marked down are down (unless they answer our own probe), others
   * up; down peers are probed and up again when they answer. A refresh under way is joined, not repeated.
   */
  refresh(): Promise<void> {
    if (!this.attached) return Promise.resolve();
    this.refreshing ??= this.readRegistry().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  private async readRegistry(): Promise<void> {
    try {
      const started = Date.now();
      const records = await this.options.redis.hgetall(RedisKeys.chatServers);
      const markedDown = new Set<string>();
      for (const raw of Object.values(records)) {
        const record = parseRecord(raw);
        if (!record || record.server.id === this.options.selfId) continue;
        if (record.down) markedDown.add(record.server.id);
        // A read that started before a peer was marked down does not bring it back.
        else if ((this.down.get(record.server.id) ?? 0) < started) this.markUp(record.server.id);
      }
      for (const id of markedDown) if (!this.down.has(id) && !(await this.reachable(id))) this.markDown(id, 'registry');
      for (const id of [...this.down.keys()]) if (await this.reachable(id)) this.markUp(id);
    } catch (err) {
      this.options.logger.debug({ err }, 'registry read failed');
    }
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async reachable(serverId: string): Promise<boolean> {
    const address = await chatPeerAddress(this.options.redis, serverId, this.options.configured);
    return address !== undefined && (await probeChatServer(address, this.options.credentials, PROBE_TIMEOUT_MS));
  }

  private markDown(serverId: string, source: string): void {
    if (!this.attached || serverId === this.options.selfId || this.down.has(serverId)) return;
    this.down.set(serverId, Date.now());
    this.options.logger.info({ server: serverId, source }, 'peer chat server down');
  }

  private markUp(serverId: string): void {
    if (this.down.delete(serverId)) this.options.logger.info({ server: serverId }, 'peer chat server up');
  }
}
