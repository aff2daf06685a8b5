import type { FileConnection } from './file-connection';

/**
 * Every file connection of the process, and one sweep for them all: a connection that has not
 * logged in within a heartbeat, or that has been idle for 3 heartbeats (no frame received, no
 * download bytes sent), is closed.
 */
export class ConnectionRegistry {
  private readonly connections = new Set<FileConnection>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly heartbeatSec: number) {}

  add(conn: FileConnection): void {
    this.connections.add(conn);
  }

  remove(conn: FileConnection): void {
    this.connections.delete(conn);
  }

  all(): IterableIterator<FileConnection> {
    return this.connections.values();
  }

  /** Logged-in connections: the load reported to the status-server. */
  get loggedIn(): number {
    let n = 0;
    for (const c of this.connections) if (c.state === 'active') n++;
    return n;
  }

  startSweeping(now: () => number = Date.now): void {
    const intervalMs = Math.min(1000, (this.heartbeatSec * 1000) / 4);
    this.timer = setInterval(() => this.sweep(now()), intervalMs);
    this.timer.unref();
  }

  stopSweeping(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  sweep(nowMs: number): void {
    const loginDeadline = this.heartbeatSec * 1000;
    const idleLimit = 3 * this.heartbeatSec * 1000;
    for (const conn of this.connections) {
      if (!conn.open) continue;
      if (conn.state !== 'active' && nowMs - conn.openedAt >= loginDeadline) {
        conn.logger.debug('no login in time; closing');
        conn.destroy();
      } else if (nowMs - conn.lastActive >= idleLimit) {
        conn.logger.debug('idle; closing');
        conn.destroy();
      }
    }
  }
}
