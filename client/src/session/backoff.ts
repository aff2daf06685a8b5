/** Reconnect policy: exponential backoff with full jitter (a random wait in [0, min(cap, base·2^attempt)]). */
export interface BackoffOptions {
  baseMs?: number;
  /** Ceiling of the first wait (at most baseMs): the first attempt after a loss is quick. */
  firstMs?: number;
  capMs?: number;
  /** Random number in [0, 1); a parameter so tests can pin it. */
  random?: () => number;
}

export const DEFAULT_BACKOFF_BASE_MS = 500;
export const DEFAULT_BACKOFF_CAP_MS = 30_000;
/**
 * A lost connection is most often one server gone, and the status-server stops offering a killed chat
 * server within milliseconds (docs/status-server.md, "Attachments"): the first attempt, through the
 * gate to a live server, should not wait up to half a second. Later attempts back off as before.
 */
export const DEFAULT_BACKOFF_FIRST_MS = 100;

/**
 * Full jitter spreads the reconnects of many clients that lost the same server over the whole window
 * instead of having them arrive together at each step.
 */
export class Backoff {
  private attempt = 0;
  private readonly baseMs: number;
  private readonly firstMs: number;
  private readonly capMs: number;
  private readonly random: () => number;

  constructor(options: BackoffOptions = {}) {
    this.baseMs = options.baseMs ?? DEFAULT_BACKOFF_BASE_MS;
    this.capMs = options.capMs ?? DEFAULT_BACKOFF_CAP_MS;
    this.firstMs = Math.min(options.firstMs ?? DEFAULT_BACKOFF_FIRST_MS, this.baseMs);
    this.random = options.random ?? Math.random;
    if (!(this.baseMs > 0) || !(this.capMs >= this.baseMs) || !(this.firstMs > 0)) throw new RangeError('Backoff needs 0 < firstMs, 0 < baseMs <= capMs');
  }

  /** The ceiling of the next wait (before jitter). */
  ceilingMs(attempt = this.attempt): number {
    if (attempt === 0) return Math.min(this.capMs, this.firstMs);
    // 2^attempt overflows to Infinity long after the cap is reached; min() keeps it finite.
    return Math.min(this.capMs, this.baseMs * 2 ** attempt);
  }

  /** The wait before the next attempt, and counts the attempt. */
  next(): number {
    const wait = Math.floor(this.random() * this.ceilingMs());
    this.attempt++;
    return wait;
  }

  get attempts(): number {
    return this.attempt;
  }

  /** After a successful connection. */
  reset(): void {
    this.attempt = 0;
  }
}
