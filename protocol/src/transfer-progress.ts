/** What a transfer reports as it goes: bytes done of total, and the recent rate. */
export interface TransferProgress {
  done: number;
  total: number;
  /** Bytes per second over the last couple of seconds. */
  rate: number;
}

const WINDOW_MS = 2000;

/**
 * Turns byte counts into TransferProgress events: at most one per `minIntervalMs` (plus the last),
 * with a rate measured over a sliding two-second window, so a resumed transfer's rate starts from
 * what it actually moves rather than from the bytes it skipped.
 */
export class ProgressMeter {
  private samples: { t: number; done: number }[] = [];
  private lastEmit = 0;
  private lastDone = -1;

  constructor(
    public total: number,
    private readonly onProgress: ((p: TransferProgress) => void) | undefined,
    private readonly now: () => number = Date.now,
    private readonly minIntervalMs = 100,
  ) {}

  /** `done` so far; `force` emits even inside the interval (start, resume, end). */
  update(done: number, force = false): void {
    const t = this.now();
    if (done < this.lastDone) this.samples = [];
    this.lastDone = done;
    this.samples.push({ t, done });
    while (this.samples.length > 2 && t - (this.samples[1] as { t: number }).t >= WINDOW_MS) this.samples.shift();
    if (!this.onProgress || (!force && t - this.lastEmit < this.minIntervalMs)) return;
    this.lastEmit = t;
    const first = this.samples[0] as { t: number; done: number };
    const elapsed = (t - first.t) / 1000;
    this.onProgress({ done, total: this.total, rate: elapsed > 0 ? Math.round((done - first.done) / elapsed) : 0 });
  }
}
