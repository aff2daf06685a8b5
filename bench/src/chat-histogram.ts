/**
 * An HDR-like latency histogram for the chat benchmark: logarithmic buckets 2% wide from 1 µs to
 * beyond a minute, so recording is one Math.log and an increment, percentiles are accurate to
 * ~2%, and a worker's histogram crosses IPC as a short list of non-empty buckets.
 */

/** Bucket ratio: each bucket's upper bound is 2% above the previous one. */
const RATIO = 1.02;
const LOG_RATIO = Math.log(RATIO);
/** Buckets up to RATIO^BUCKETS µs ≈ 1.5 × 10^8 µs (150 s); larger values land in the last one. */
const BUCKETS = 950;

/** A histogram as it travels over IPC: [bucket, count] pairs plus exact count, sum and max. */
export interface HistogramData {
  buckets: [number, number][];
  count: number;
  sumMs: number;
  maxMs: number;
}

export interface LatencyStats {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  mean: number;
}

export class LatencyHistogram {
  private counts = new Float64Array(BUCKETS);
  count = 0;
  sumMs = 0;
  maxMs = 0;

  /** Records one latency in milliseconds (negative clock noise counts as 0). */
  record(ms: number): void {
    const us = ms * 1000;
    const i = us <= 1 ? 0 : Math.min(BUCKETS - 1, Math.ceil(Math.log(us) / LOG_RATIO));
    this.counts[i] = (this.counts[i] as number) + 1;
    this.count++;
    if (ms > 0) this.sumMs += ms;
    if (ms > this.maxMs) this.maxMs = ms;
  }

  reset(): void {
    this.counts.fill(0);
    this.count = 0;
    this.sumMs = 0;
    this.maxMs = 0;
  }

  toData(): HistogramData {
    const buckets: [number, number][] = [];
    for (let i = 0; i < BUCKETS; i++) {
      const c = this.counts[i] as number;
      if (c > 0) buckets.push([i, c]);
    }
    return { buckets, count: this.count, sumMs: this.sumMs, maxMs: this.maxMs };
  }

  add(data: HistogramData): void {
    for (const [i, c] of data.buckets) this.counts[i] = (this.counts[i] as number) + c;
    this.count += data.count;
    this.sumMs += data.sumMs;
    if (data.maxMs > this.maxMs) this.maxMs = data.maxMs;
  }

  static merge(list: readonly HistogramData[]): LatencyHistogram {
    const h = new LatencyHistogram();
    for (const d of list) h.add(d);
    return h;
  }

  /** The value (ms, the bucket's upper bound, never above the exact max) at quantile q. */
  quantile(q: number): number {
    if (this.count === 0) return 0;
    const rank = Math.max(1, Math.ceil(q * this.count));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i] as number;
      if (seen >= rank) return Math.min(this.maxMs, RATIO ** i / 1000);
    }
    return this.maxMs;
  }

  stats(): LatencyStats {
    const r = (x: number) => (x >= 10 ? Math.round(x * 10) / 10 : Math.round(x * 100) / 100);
    return {
      count: this.count,
      p50: r(this.quantile(0.5)),
      p90: r(this.quantile(0.9)),
      p99: r(this.quantile(0.99)),
      p999: r(this.quantile(0.999)),
      max: r(this.maxMs),
      mean: r(this.count ? this.sumMs / this.count : 0),
    };
  }
}
