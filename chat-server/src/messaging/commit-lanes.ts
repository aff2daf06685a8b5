/**
 * Group-commit scheduling: entries are collected per lane and handed to `commit` as batches — one
 * batch in flight per lane; while it commits the next one fills, so batches grow with the load.
 * A batch starts `intervalMs` after its first entry, or at once when `maxBatch` are waiting.
 * With `intervalMs` 0 an idle lane commits in the same turn of the event loop (setImmediate: after
 * every socket read of this turn has queued its sends), so the batch size follows the load and
 * nothing waits on a clock; under load the running batch is what makes the next one wait.
 * A key always maps to the same lane, so one key's entries keep their order.
 */
export interface CommitLanesOptions<T> {
  lanes: number;
  intervalMs: number;
  maxBatch: number;
  /** How many of the waiting entries make the next batch (at least one); defaults to all up to maxBatch. */
  batchLength?: (pending: readonly T[], max: number) => number;
  /** Commits one batch; must settle every entry itself and never reject. */
  commit: (batch: T[]) => Promise<void>;
}

interface Lane<T> {
  pending: T[];
  timer: NodeJS.Timeout | NodeJS.Immediate | undefined;
  loop: Promise<void> | undefined;
}

export class CommitLanes<T> {
  private readonly lanes: Lane<T>[];

  constructor(private readonly options: CommitLanesOptions<T>) {
    this.lanes = Array.from({ length: Math.max(1, options.lanes) }, () => ({ pending: [], timer: undefined, loop: undefined }));
  }

  add(key: number, entry: T): void {
    const lane = this.lanes[key % this.lanes.length] as Lane<T>;
    lane.pending.push(entry);
    this.schedule(lane);
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
    const { maxBatch, batchLength, commit } = this.options;
    lane.loop = (async () => {
      try {
        while (lane.pending.length > 0) {
          const max = Math.min(lane.pending.length, maxBatch);
          const n = batchLength ? Math.max(1, Math.min(max, batchLength(lane.pending, max))) : max;
          await commit(lane.pending.splice(0, n));
        }
      } finally {
        lane.loop = undefined;
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
