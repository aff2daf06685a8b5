import { TokenBucket } from './token-bucket';

/** What a connection's frames are metered as (docs/security.md, "Chat server: rate limits"). */
export type RateKind = 'send' | 'request' | 'search' | 'ping' | 'ack';

export interface RateLimitConfig {
  sendRatePerSec: number;
  sendBurst: number;
  requestRatePerSec: number;
  requestBurst: number;
  searchLimitPerMinute: number;
  searchBurst: number;
  pingRatePerSec: number;
  pingBurst: number;
  ackRatePerSec: number;
  ackBurst: number;
  /** Refused or dropped frames in any ABUSE_WINDOW_SEC before the connection is closed. */
  abuseLimit: number;
}

/** The window of config abuseLimit. */
export const ABUSE_WINDOW_SEC = 10;

export type RateVerdict =
  /** Within its limits. */
  | { kind: 'ok' }
  /** Over a limit: refuse a request (RATE_LIMITED, retryAfterSec) or drop a frame without reqId. */
  | { kind: 'limited'; retryAfterSec: number }
  /** Refused so often lately that the connection is to be closed. */
  | { kind: 'abuse' };

/**
 * The rate limits of one logged-in chat connection: a token bucket per kind of frame, and a
 * bucket of tolerated refusals (abuseLimit per ABUSE_WINDOW_SEC) that, once empty, closes the
 * connection. Buckets are made on first use, so an idle connection holds none. A search also
 * counts as a request.
 */
export class ConnectionRateLimits {
  private readonly buckets = new Map<RateKind, TokenBucket>();
  private strikes: TokenBucket | undefined;
  /** Frames refused or dropped on this connection, for logs and tests. */
  refused = 0;

  constructor(private readonly config: RateLimitConfig) {}

  check(kind: RateKind, now = Date.now()): RateVerdict {
    const bucket = this.bucket(kind, now);
    const request = kind === 'search' ? this.bucket('request', now) : undefined;
    // A search needs both; take the search token only when a request token is there too.
    if ((request === undefined || request.retryAfterSec(now) === 0) && bucket.take(now) && (request === undefined || request.take(now))) return { kind: 'ok' };
    this.refused++;
    this.strikes ??= new TokenBucket(this.config.abuseLimit / ABUSE_WINDOW_SEC, this.config.abuseLimit, now);
    if (!this.strikes.take(now)) return { kind: 'abuse' };
    return { kind: 'limited', retryAfterSec: Math.max(bucket.retryAfterSec(now), request?.retryAfterSec(now) ?? 0, 1) };
  }

  private bucket(kind: RateKind, now: number): TokenBucket {
    let bucket = this.buckets.get(kind);
    if (bucket === undefined) {
      const [rate, burst] = this.settings(kind);
      bucket = new TokenBucket(rate, burst, now);
      this.buckets.set(kind, bucket);
    }
    return bucket;
  }

  private settings(kind: RateKind): [number, number] {
    const c = this.config;
    switch (kind) {
      case 'send':
        return [c.sendRatePerSec, c.sendBurst];
      case 'request':
        return [c.requestRatePerSec, c.requestBurst];
      case 'search':
        return [c.searchLimitPerMinute / 60, c.searchBurst];
      case 'ping':
        return [c.pingRatePerSec, c.pingBurst];
      case 'ack':
        return [c.ackRatePerSec, c.ackBurst];
    }
  }
}
