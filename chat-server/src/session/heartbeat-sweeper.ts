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
  private readonly sweepMs: number;

  constructor(private readonly options: HeartbeatSweeperOptions) {
    this.timeoutMs = HEARTBEAT_MISSES_BEFORE_CLOSE * options.heartbeatSec * 1000;
    this.refreshEveryMs = options.heartbeatSec * 1000;
    this.sweepMs = options.sweepMs ?? Math.min(1000, Math.max(50, (options.heartbeatSec * 1000) / 4));
    this.timer = setInterval(() => this.sweep(), this.sweepMs);
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
    if (refresh.length > 0 && !this.refreshing) void this.refresh(oldestFirst(refresh, this.refreshCap(registry.sessionCount)), now);
  }

  /**
   * Route refreshes per sweep at most: twice the steady rate (every session once per heartbeat),
   * at least 100. Sessions that logged in together would otherwise come due together — 10,000 of
   * them one pipelined burst every heartbeat, which held the event loop for tens of milliseconds
   * (the ping-pong benchmark's p99). Spread, each still refreshes well within its route's TTL.
   */
  private refreshCap(sessions: number): number {
    return Math.max(100, Math.ceil((2 * sessions * this.sweepMs) / this.refreshEveryMs));
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

/** The `cap` connections whose routes were refreshed longest ago (all of them when within the cap). */
export function oldestFirst<T extends { routeRefreshedAt: number }>(due: T[], cap: number): T[] {
  if (due.length <= cap) return due;
  return due.sort((a, b) => a.routeRefreshedAt - b.routeRefreshedAt).slice(0, cap);
}
