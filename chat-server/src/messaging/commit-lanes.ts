/**
 * Group-commit scheduling: entries are collected per lane and handed to `commit` as batches — one
 * batch in flight per lane; while it commits the next one fills, so batches grow with the load.
 * A batch starts `intervalMs` after its first entry, or at once when `maxBatch` are waiting.
 * With `intervalMs` 0 an idle lane commits in the same turn of the event loop (setImmediate: after
 * every socket read of this turn has queued its sends), so the batch size follows the load and
 * nothing waits on a clock; under load the running batch is what makes the next one wait.
 * A key always maps to the same lane, so one key's entries keep their order.
 *
 * Each lane holds at most `maxPending` entries and `maxPendingBytes` (as `sizeOf` counts them)
 * besides the batch being committed: `tryAdd` refuses the entry beyond that, so a database slower
 * than the senders costs refusals, never memory.
 */
export interface CommitLanesOptions<T> {
  lanes: number;
  intervalMs: number;
  maxBatch: number;
  /** How many of the waiting entries make the next batch (at least one); defaults to all up to maxBatch. */
  batchLength?: (pending: readonly T[], max: number) => number;
  /** Commits one batch; must settle every entry itself and never reject. */
  commit: (batch: T[]) => Promise<void>;
  /** Entries waiting per lane at most (default: no bound). */
  maxPending?: number;
  /** Bytes waiting per lane at most, as `sizeOf` counts them (default: no bound). */
  maxPendingBytes?: number;
  /** An entry's share of maxPendingBytes (default 0). */
  sizeOf?: (entry: T) => number;
}

interface Lane<T> {
  pending: T[];
  pendingBytes: number;
  timer: NodeJS.Timeout | NodeJS.Immediate | undefined;
  loop: Promise<void> | undefined;
  /** When the batch being committed started (0: none), and how long the last one took. */
  batchStartedAt: number;
  lastBatchMs: number;
}

export class CommitLanes<T> {
  private readonly lanes: Lane<T>[];

  constructor(private readonly options: CommitLanesOptions<T>) {
    this.lanes = Array.from({ length: Math.max(1, options.lanes) }, () => ({ pending: [], pendingBytes: 0, timer: undefined, loop: undefined, batchStartedAt: 0, lastBatchMs: 0 }));
  }

  /** Queues the entry on key's lane; false (nothing queued) when the lane is at its bound. */
  tryAdd(key: number, entry: T): boolean {
    const lane = this.laneOf(key);
    const size = this.options.sizeOf?.(entry) ?? 0;
    if (!this.hasRoom(lane, size)) return false;
    lane.pending.push(entry);
    lane.pendingBytes += size;
    this.schedule(lane);
    return true;
  }

  /** Whether key's lane would take one more entry of `size` bytes now. */
  hasRoomFor(key: number, size = 0): boolean {
    return this.hasRoom(this.laneOf(key), size);
  }

  /**
   * About how long key's lane needs to work off what waits: the batches ahead times the time a
   * batch takes (the last one's, or the running one's if that is longer). Rough, for retryAfterMs.
   */
  backlogMs(key: number, now = Date.now()): number {
    const lane = this.laneOf(key);
    const running = lane.batchStartedAt > 0 ? now - lane.batchStartedAt : 0;
    const perBatch = Math.max(lane.lastBatchMs, running, this.options.intervalMs);
    return Math.ceil(lane.pending.length / Math.max(1, this.options.maxBatch) + 1) * perBatch;
  }

  /** Bytes (as `sizeOf` counts them) waiting for their next batch. */
  get queuedBytes(): number {
    return this.lanes.reduce((n, lane) => n + lane.pendingBytes, 0);
  }

  /** Entries waiting for their next batch. */
  get queued(): number {
    return this.lanes.reduce((n, lane) => n + lane.pending.length, 0);
  }

  /** Commits everything waiting now; resolves when every lane is idle. */
  async flush(): Promise<void> {
    await Promise.all(
      this.lanes.map(async (lane) => {
        cancel(lane);
        if (!lane.loop && lane.pending.length > 0) this.startLoop(lane);
        while (lane.loop) await lane.loop;
      }),
    );
  }

  private laneOf(key: number): Lane<T> {
    return this.lanes[key % this.lanes.length] as Lane<T>;
  }

  private hasRoom(lane: Lane<T>, size: number): boolean {
    const { maxPending = Infinity, maxPendingBytes = Infinity } = this.options;
    // An empty lane takes any one entry, so a bound below one entry's size cannot refuse everything.
    if (lane.pending.length === 0) return true;
    return lane.pending.length < maxPending && lane.pendingBytes + size <= maxPendingBytes;
  }

  private schedule(lane: Lane<T>): void {
    if (lane.loop) return; // the running loop takes it
    if (lane.pending.length >= this.options.maxBatch) {
      cancel(lane);
      this.startLoop(lane);
    } else if (!lane.timer) {
      const start = () => {
        lane.timer = undefined;
        if (!lane.loop) this.startLoop(lane);
      };
      lane.timer = this.options.intervalMs > 0 ? setTimeout(start, this.options.intervalMs) : setImmediate(start);
    }
  }

  private startLoop(lane: Lane<T>): void {
    const { maxBatch, batchLength, commit, sizeOf } = this.options;
    lane.loop = (async () => {
      try {
        while (lane.pending.length > 0) {
          const max = Math.min(lane.pending.length, maxBatch);
          const n = batchLength ? Math.max(1, Math.min(max, batchLength(lane.pending, max))) : max;
          const batch = lane.pending.splice(0, n);
          if (sizeOf) for (const entry of batch) lane.pendingBytes -= sizeOf(entry);
          lane.batchStartedAt = Date.now();
          await commit(batch);
          lane.lastBatchMs = Date.now() - lane.batchStartedAt;
          lane.batchStartedAt = 0;
        }
      } finally {
        lane.loop = undefined;
        lane.batchStartedAt = 0;
      }
    })();
  }
}

function cancel<T>(lane: Lane<T>): void {
  const timer = lane.timer;
  lane.timer = undefined;
  if (timer === undefined) return;
  if ('refresh' in timer) clearTimeout(timer);
  else clearImmediate(timer);
}
