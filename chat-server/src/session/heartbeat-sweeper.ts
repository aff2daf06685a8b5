import type { Logger } from '@parley/common';
import { HEARTBEAT_MISSES_BEFORE_CLOSE } from '@parley/protocol';
import type { ClientConnection } from './client-connection';
import { kickConnection } from './login-handler';
import type { RouteStore } from '../cluster/route-store';
import type { SessionRegistry } from './session-registry';

export interface HeartbeatSweeperOptions {
  heartbeatSec: number;
  registry: SessionRegistry;
  routes: RouteStore;
  logger: Logger;
  /** Period of the sweep; default a quarter heartbeat, at most one second. */
  sweepMs?: number;
}

/**
 * One timer for every connection of the process (not one per socket): each sweep closes the
 * connections silent for 3 × heartbeat (logged in or not), destroys ones that linger after
 * being closed, and refreshes — in one pipelined round trip — the route TTL of sessions that
 * were active since their last refresh, at most once per heartbeat each.
 */
export class HeartbeatSweeper {
  private readonly timer: NodeJS.Timeout;
  private refreshing = false;
  readonly timeoutMs: number;
  readonly refreshEveryMs: number;

  constructor(private readonly options: HeartbeatSweeperOptions) {
    this.timeoutMs = HEARTBEAT_MISSES_BEFORE_CLOSE * options.heartbeatSec * 1000;
    this.refreshEveryMs = options.heartbeatSec * 1000;
    const sweepMs = options.sweepMs ?? Math.min(1000, Math.max(50, (options.heartbeatSec * 1000) / 4));
    this.timer = setInterval(() => this.sweep(), sweepMs);
    this.timer.unref();
  }

  /** Route TTL to use: outlives the longest a live session can go without a refresh. */
  static routeTtlMs(heartbeatSec: number): number {
    return (HEARTBEAT_MISSES_BEFORE_CLOSE + 1) * heartbeatSec * 1000 + 5000;
  }

  sweep(now = Date.now()): void {
    const { registry } = this.options;
    const refresh: ClientConnection[] = [];
    for (const conn of registry.all()) {
      if (conn.state === 'closing' || conn.state === 'closed') continue;
      if (now - conn.lastSeen > this.timeoutMs) {
        this.options.logger.debug({ uid: conn.uid, conn: conn.connId }, 'heartbeat timeout');
        conn.destroy();
        continue;
      }
      if (conn.state === 'active' && conn.lastSeen > conn.routeRefreshedAt && now - conn.routeRefreshedAt >= this.refreshEveryMs) {
        refresh.push(conn);
      }
    }
    if (refresh.length > 0 && !this.refreshing) void this.refresh(refresh, now);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /**
   * Refreshes every active session's route now, recreating the missing ones (Redis lost its data:
   * route-guard.ts). Resolves how many were recreated.
   */
  async reclaimAll(now = Date.now()): Promise<number> {
    const conns = [...this.options.registry.sessions()].filter((c) => c.state === 'active' && c.sessionId !== '');
    return this.refresh(conns, now, true);
  }

  private async refresh(conns: ClientConnection[], now: number, always = false): Promise<number> {
    if (this.refreshing && !always) return 0;
    this.refreshing = true;
    let recreated = 0;
    try {
      const outcomes = await this.options.routes.refreshMany(conns.map((c) => ({ uid: c.uid, session: c.sessionId })));
      outcomes.forEach((outcome, i) => {
        const conn = conns[i] as ClientConnection;
        conn.routeRefreshedAt = now;
        if (outcome === 'recreated') recreated++;
        // The route names a newer session elsewhere and its Kick did not reach us: leave.
        if (outcome === 'superseded' && conn.state === 'active') kickConnection(conn);
      });
    } catch (err) {
      this.options.logger.warn({ err, sessions: conns.length }, 'route refresh failed');
    } finally {
      this.refreshing = false;
    }
    return recreated;
  }
}
