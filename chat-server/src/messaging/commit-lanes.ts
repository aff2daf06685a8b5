/**
 * Group-commit scheduling: entries are collected per lane and handed to `commit` as batches — one
 * batch in flight per lane; while it commits the next one fills, so batches grow with the load.
 * A batch starts `intervalMs` after its first entry, or at once when `maxBatch` are waiting.
 * After a batch the next starts at once when `minBatch` entries wait, else once `intervalMs` has
 * passed since the previous one started: under a light load a lane so commits about once per
 * interval instead of once per quick commit (each commit costs the database about as much as a
 * few dozen rows), while under load, when enough wait, nothing pauses.
 * With `intervalMs` 0 an idle lane commits in the same turn of the event loop (setImmediate: after
 * every socket read of this turn has queued its sends), so the batch size follows the load and
 * nothing waits on a clock; under load the running batch is what makes the next one wait.
 * A key always maps to the same lane, so one key's entries keep their order.
 *
 * Each lane holds at most `maxPending` entries and `maxPendingBytes` (as `sizeOf` counts them)
 * besides the batch being committed: `tryAdd` refuses the entry beyond that, so a database slower
 * than the senders costs refusals, never memory. It also refuses while the oldest waiting entry's
 * wait so far plus the last batch's duration — about when it will be committed — passes
 * `maxWaitMs` (judging a queue by its sojourn time, as CoDel does): a count cannot tell a lane that
 * drains 2,000 entries in 50 ms from one that needs 5 s for them, and every entry admitted past
 * that point would only be acked late. Counting the batch's duration keeps batches short when the
 * database is slow (on a saturated core a batch of 2,000 can take a second): the lane then admits
 * less until its batches are quick again. Under a flood the lane so keeps about maxWaitMs of work,
 * the CPU it does not spend on excess commits goes to reading and refusing, and the moment the
 * flood ends nothing old is left to work off.
 */
export interface CommitLanesOptions<T> {
  lanes: number;
  intervalMs: number;
  maxBatch: number;
  /** After a batch, this many waiting entries start the next at once (default 1: no pause). */
  minBatch?: number;
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
  /** Longest time the oldest waiting entry may have waited for new entries to be taken (default: no bound). */
  maxWaitMs?: number;
  /** The clock (ms); tests pass their own. */
  now?: () => number;
}

interface Lane<T> {
  pending: T[];
  /** When each pending entry was queued (same order as `pending`). */
  since: number[];
  pendingBytes: number;
  timer: NodeJS.Timeout | NodeJS.Immediate | undefined;
  loop: Promise<void> | undefined;
  /** When the batch being committed started (0: none), and how long the last one took. */
  batchStartedAt: number;
  lastBatchMs: number;
  /** The pause between two batches (see startLoop), which flush() and a full batch cut short. */
  pausing: { timer: NodeJS.Timeout; wake: () => void } | undefined;
  flushing: boolean;
}

export class CommitLanes<T> {
  private readonly lanes: Lane<T>[];
  private readonly now: () => number;
  private readonly minBatch: number;

  constructor(private readonly options: CommitLanesOptions<T>) {
    this.now = options.now ?? Date.now;
    this.minBatch = Math.min(Math.max(1, options.minBatch ?? 1), options.maxBatch);
    this.lanes = Array.from({ length: Math.max(1, options.lanes) }, () => ({ pending: [], since: [], pendingBytes: 0, timer: undefined, loop: undefined, batchStartedAt: 0, lastBatchMs: 0, pausing: undefined, flushing: false }));
  }

  /** Queues the entry on key's lane; false (nothing queued) when the lane is at its bound. */
  tryAdd(key: number, entry: T): boolean {
    const lane = this.laneOf(key);
    const size = this.options.sizeOf?.(entry) ?? 0;
    if (!this.hasRoom(lane, size)) return false;
    lane.pending.push(entry);
    lane.since.push(this.now());
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
  backlogMs(key: number, now = this.now()): number {
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
        lane.flushing = true;
        lane.pausing?.wake();
        if (!lane.loop && lane.pending.length > 0) this.startLoop(lane);
        try {
          while (lane.loop) await lane.loop;
        } finally {
          lane.flushing = false;
        }
      }),
    );
  }

  private laneOf(key: number): Lane<T> {
    return this.lanes[key % this.lanes.length] as Lane<T>;
  }

  /** How long the oldest entry of key's lane has waited (0: none waits). */
  oldestWaitMs(key: number): number {
    const lane = this.laneOf(key);
    return lane.since.length > 0 ? this.now() - (lane.since[0] as number) : 0;
  }

  private hasRoom(lane: Lane<T>, size: number): boolean {
    const { maxPending = Infinity, maxPendingBytes = Infinity, maxWaitMs = Infinity } = this.options;
    // An empty lane takes any one entry, so a bound below one entry's size cannot refuse everything.
    if (lane.pending.length === 0) return true;
    if (lane.pending.length >= maxPending || lane.pendingBytes + size > maxPendingBytes) return false;
    // The oldest entry's wait so far plus a batch's time: about when it will have been committed.
    return maxWaitMs === Infinity || this.now() - (lane.since[0] as number) + lane.lastBatchMs <= maxWaitMs;
  }

  private schedule(lane: Lane<T>): void {
    if (lane.loop) {
      // The running loop takes it; a full batch ends its pause.
      if (lane.pausing && lane.pending.length >= this.minBatch) lane.pausing.wake();
      return;
    }
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
          lane.since.splice(0, n);
          if (sizeOf) for (const entry of batch) lane.pendingBytes -= sizeOf(entry);
          const startedAt = this.now();
          lane.batchStartedAt = startedAt;
          await commit(batch);
          lane.lastBatchMs = this.now() - startedAt;
          lane.batchStartedAt = 0;
          // Too few waiting for the next batch: wait for more, up to the interval (see above).
          const rest = this.options.intervalMs - lane.lastBatchMs;
          if (rest > 0 && lane.pending.length > 0 && lane.pending.length < this.minBatch && !lane.flushing) await this.pause(lane, rest);
        }
      } finally {
        lane.loop = undefined;
        lane.batchStartedAt = 0;
      }
    })();
  }

  private pause(lane: Lane<T>, ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        lane.pausing = undefined;
        resolve();
      };
      const timer = setTimeout(wake, ms);
      lane.pausing = { timer, wake };
    });
  }
}

function cancel<T>(lane: Lane<T>): void {
  const timer = lane.timer;
  lane.timer = undefined;
  if (timer === undefined) return;
  if ('refresh' in timer) clearTimeout(timer);
  else clearImmediate(timer);
}
