import type { Logger, Redis } from '@parley/common';

export interface RouteGuardOptions {
  serverId: string;
  redis: Redis;
  /** Re-claims every local session's route, recreating missing ones; resolves how many were recreated. */
  reclaim: () => Promise<number>;
  logger: Logger;
  /** How often the canary is checked. Default 500 ms. */
  everyMs?: number;
}

/** The canary: one key per chat server, never expiring, relative to the key prefix. Private to that server. */
export const canaryKey = (serverId: string): string => `route-canary:${serverId}`;

/**
 * Notices that Redis lost this server's routes (it restarted empty, failed over to an empty replica, or
 * was flushed) and claims them again at once. Routes are otherwise only refreshed once per heartbeat
 * (20 s by default) and only for sessions that were active: until then pushes to these users were lost
 * and they showed offline. A canary key stands for all of them: `SET NX` every half second costs one
 * round trip, and when it was missing, every route this server holds is written again in one pipeline.
 */
export class RouteGuard {
  private readonly timer: NodeJS.Timeout;
  private checking = false;
  private first = true;

  constructor(private readonly options: RouteGuardOptions) {
    this.timer = setInterval(() => void this.check(), options.everyMs ?? 500);
    this.timer.unref();
    void this.check();
  }

  /** One check; resolves how many routes were recreated (0 when the canary was there). */
  async check(): Promise<number> {
    if (this.checking) return 0;
    this.checking = true;
    const { redis, serverId, logger } = this.options;
    try {
      const set = await redis.set(canaryKey(serverId), String(Date.now()), 'NX');
      const first = this.first;
      this.first = false;
      if (set !== 'OK' || first) return 0;
      const started = Date.now();
      const recreated = await this.options.reclaim();
      logger.warn({ recreated, ms: Date.now() - started, event: 'routes_reclaimed' }, 'redis lost this server\'s routes; claimed them again');
      return recreated;
    } catch (err) {
      logger.debug({ err }, 'route canary check failed');
      return 0;
    } finally {
      this.checking = false;
    }
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
