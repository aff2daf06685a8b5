import { ParleyError, ShedCounter, type Logger, type MysqlPool } from '@parley/common';
import { CommitLanes } from './commit-lanes';
import { isRetryable, isRowDataError, isStaleAuthorization, sleep, sqlErrno } from './commit-errors';
import { writeBatch } from './message-writer';
import { SendAuthorizer } from './send-authorizer';
import type { Outcome, SendCommand, SendResult } from './send-command';
import { overloadRefusal, type OverloadRefusal } from './overload-refusal';

export type { SendCommand, SendResult } from './send-command';

export interface CommitterOptions {
  /** Must allow multi-statement queries: `createMysqlPool(cfg, { multipleStatements: true })`. */
  pool: MysqlPool;
  /** Longest wait before a batch is written (chat.commit_interval_ms). */
  intervalMs: number;
  /** Most messages in one transaction (chat.commit_max_batch). */
  maxBatch: number;
  /** After a batch, this many waiting start the next at once; fewer wait out intervalMs (chat.commit_min_batch). */
  minBatch?: number;
  logger: Logger;
  /** Called after each COMMIT with the messages it stored (not duplicates, not refusals). */
  onCommitted?: (results: SendResult[]) => void;
  /** Batches committed concurrently (chat.commit_lanes); a sender always uses the same lane. */
  lanes?: number;
  /** Attempts per batch for retryable failures (deadlock, lost connection, duplicate key race). */
  attempts?: number;
  /** Sends waiting per lane besides the batch being written (chat.commit_max_pending); beyond it OVERLOADED. */
  maxPending?: number;
  /** Their bytes as `pendingBytes` counts them (chat.commit_max_pending_bytes); beyond it OVERLOADED. */
  maxPendingBytes?: number;
  /** Longest wait of the lane's oldest send before new ones are refused OVERLOADED (chat.commit_max_wait_ms). */
  maxWaitMs?: number;
}

function overloadError(refusal: OverloadRefusal): ParleyError {
  return new ParleyError(refusal.code, refusal.message, { details: refusal.details });
}

interface Entry {
  cmd: SendCommand;
  resolve: (result: SendResult) => void;
  reject: (err: Error) => void;
}

/**
 * Size budget of one batch's write statement. MariaDB refuses a statement larger than
 * max_allowed_packet (16 MiB by default); at the protocol's 16 KiB bodies a full batch of 2048
 * could need 100 MiB, so batches of large messages are cut shorter.
 */
const MAX_BATCH_SQL_BYTES = 8 * 1024 * 1024;

/** Upper bound of a send's share of the write statement: ≤ 3 UTF-8 bytes per UTF-16 unit, escaping included, plus the row's other values. */
function estimatedSqlBytes(cmd: SendCommand): number {
  return 3 * (cmd.body.length + cmd.clientMsgId.length) + 160;
}

/** What a waiting send is charged against chat.commit_max_pending_bytes: its strings at 3 bytes per unit (an upper bound of both their memory and their SQL) and 1 KiB for the objects, promise and closures around it. */
export function pendingBytes(cmd: SendCommand): number {
  return 3 * (cmd.body.length + cmd.clientMsgId.length) + 1024;
}


function batchLength(pending: readonly Entry[], max: number): number {
  let bytes = 0;
  for (let n = 0; n < max; n++) {
    bytes += estimatedSqlBytes((pending[n] as Entry).cmd);
    if (bytes > MAX_BATCH_SQL_BYTES && n > 0) return n;
  }
  return max;
}

/**
 * Group commit of chat messages (docs/chat-server.md, "Sending: group commit"). Sends are batched
 * per lane (CommitLanes) and each batch is written in one transaction by `writeBatch`; a promise
 * resolves only after the COMMIT that made its message durable, and a batch that cannot be
 * committed rejects, so an ack is never sent for a message that is not durable. Seqs are gap-free
 * because the reservation and the inserts commit or roll back together.
 *
 * Fast path: when every send goes to a target authorized before, the write is the only round trip
 * (it re-checks authorization itself). Careful path: SendAuthorizer reads which sends are stored
 * already and what authorizes the rest, then the write. Failures: lock contention, a lost
 * connection, a duplicate-key race or an authorization that went stale between read and write are
 * retried; an error caused by one row's data splits the batch until the culprit is alone.
 */
export class MessageCommitter {
  private readonly lanes: CommitLanes<Entry>;
  private readonly authorizer = new SendAuthorizer();
  private closed = false;
  private readonly attempts: number;
  private readonly shed: ShedCounter;

  constructor(private readonly options: CommitterOptions) {
    this.attempts = options.attempts ?? 4;
    const { config } = options.pool.pool as unknown as { config: { connectionConfig?: { multipleStatements?: boolean } } };
    if (config.connectionConfig?.multipleStatements !== true) {
      throw new Error('MessageCommitter needs a pool created with multipleStatements: true');
    }
    this.lanes = new CommitLanes<Entry>({
      lanes: options.lanes ?? 1,
      intervalMs: options.intervalMs,
      maxBatch: options.maxBatch,
      minBatch: options.minBatch,
      batchLength,
      commit: (batch) => this.commitBatch(batch),
      maxPending: options.maxPending,
      maxPendingBytes: options.maxPendingBytes,
      maxWaitMs: options.maxWaitMs,
      sizeOf: (entry) => pendingBytes(entry.cmd),
    });
    this.shed = new ShedCounter(options.logger, 'sends refused OVERLOADED: commit lane full', 'commit_overloaded');
  }

  /**
   * Queues a send; resolves after the commit that made it durable (or found it already stored).
   * Rejects at once with OVERLOADED, nothing stored, when the sender's lane is at its bound.
   */
  submit(cmd: SendCommand): Promise<SendResult> {
    if (this.closed) return Promise.reject(new ParleyError('UNAVAILABLE', 'The server is shutting down; send again'));
    return new Promise<SendResult>((resolve, reject) => {
      if (!this.lanes.tryAdd(cmd.senderUid, { cmd, resolve, reject })) reject(overloadError(this.overloaded(cmd.senderUid)));
    });
  }

  /** Throws OVERLOADED when senderUid's lane is full: lets a caller refuse before doing any work for the send. */
  checkRoom(senderUid: number): void {
    const refusal = this.refusal(senderUid);
    if (refusal) throw overloadError(refusal);
  }

  /**
   * The OVERLOADED answer when senderUid's lane is full now, else undefined. Throws nothing and
   * builds no Error: under a flood this runs for every refused send, and a stack trace each would
   * cost more than the refusal.
   */
  refusal(senderUid: number): OverloadRefusal | undefined {
    return this.lanes.hasRoomFor(senderUid) ? undefined : this.overloaded(senderUid);
  }

  /** Sends refused OVERLOADED so far. */
  get refused(): number {
    return this.shed.total;
  }

  private overloaded(senderUid: number): OverloadRefusal {
    this.shed.add(1, { queued: this.lanes.queued, queuedBytes: this.lanes.queuedBytes, oldestWaitMs: this.lanes.oldestWaitMs(senderUid) });
    const retryAfterMs = this.lanes.backlogMs(senderUid);
    return overloadRefusal(retryAfterMs);
  }

  /** Messages waiting for their next batch. */
  get queued(): number {
    return this.lanes.queued;
  }

  /** Writes everything queued so far and resolves when it is settled. */
  flush(): Promise<void> {
    return this.lanes.flush();
  }

  /** Refuses new sends, then flushes. */
  async close(): Promise<void> {
    this.closed = true;
    await this.flush();
  }

  /** Settles every entry of the batch; never throws. */
  private async commitBatch(batch: Entry[]): Promise<void> {
    let outcomes: Outcome[];
    try {
      outcomes = await this.commitWithRetry(batch.map((e) => e.cmd));
    } catch (err) {
      if (isRowDataError(err) && batch.length > 1) {
        // Something in this batch upsets the database: split it so the other sends still commit.
        const half = Math.ceil(batch.length / 2);
        await this.commitBatch(batch.slice(0, half));
        await this.commitBatch(batch.slice(half));
        return;
      }
      this.options.logger.error({ err, batch: batch.length }, 'message batch not committed');
      const failure = new ParleyError('UNAVAILABLE', 'The message could not be stored; send it again', { cause: err });
      for (const e of batch) e.reject(failure);
      return;
    }
    const committed: SendResult[] = [];
    outcomes.forEach((outcome, i) => {
      const entry = batch[i] as Entry;
      if (outcome instanceof ParleyError) {
        entry.reject(outcome);
      } else {
        entry.resolve(outcome);
        if (!outcome.duplicate) committed.push(outcome);
      }
    });
    if (committed.length > 0 && this.options.onCommitted) {
      try {
        this.options.onCommitted(committed);
      } catch (err) {
        this.options.logger.error({ err }, 'onCommitted failed');
      }
    }
  }

  private async commitWithRetry(cmds: SendCommand[]): Promise<Outcome[]> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.commitOnce(cmds);
      } catch (err) {
        if (!isRetryable(err) || attempt >= this.attempts) throw err;
        this.options.logger.debug({ err: (err as Error).message, errno: sqlErrno(err), attempt }, 'message batch retry');
        await sleep(attempt * attempt * 5 + Math.random() * 5);
      }
    }
  }

  /** The whole batch in one round trip (fast path) or two (careful path: reads, then the write). Outcomes are in the order of `cmds`. */
  private async commitOnce(cmds: SendCommand[]): Promise<Outcome[]> {
    const conn = await this.options.pool.getConnection();
    try {
      const known = this.authorizer.knownTargets(cmds);
      if (known) {
        const outcomes: (Outcome | undefined)[] = new Array(cmds.length).fill(undefined);
        try {
          await writeBatch(conn, cmds, cmds.map((_, i) => i), known, outcomes);
          return outcomes.map((o) => o ?? new ParleyError('INTERNAL', 'The message was not processed'));
        } catch (err) {
          // A resend or an authorization that went stale: the careful path sorts it out per message.
          if (!isStaleAuthorization(err)) throw err;
        }
      }
      const outcomes: (Outcome | undefined)[] = new Array(cmds.length).fill(undefined);
      const { repeats, fresh, targets } = await this.authorizer.read(conn, cmds, outcomes);
      const accepted = fresh.filter((i) => outcomes[i] === undefined);
      if (accepted.length > 0) await writeBatch(conn, cmds, accepted, targets, outcomes);
      // A repeat within the batch gets whatever its first occurrence got (ack or refusal).
      for (const [i, first] of repeats) {
        const original = outcomes[first];
        outcomes[i] = original instanceof ParleyError || original === undefined ? original : { ...original, duplicate: true, recipients: [] };
      }
      return outcomes.map((o) => o ?? new ParleyError('INTERNAL', 'The message was not processed'));
    } finally {
      conn.release();
    }
  }
}
