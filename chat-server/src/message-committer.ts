import type { PoolConnection, ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import { ParleyError, type Logger, type MysqlPool } from '@parley/common';
import type { ChatMessage, ChatMessageType } from '@parley/protocol';

/** One message to store, as the sender addressed it (exactly one of `to` / `conversationId`). */
export interface SendCommand {
  senderUid: number;
  to?: number;
  conversationId?: number;
  clientMsgId: string;
  type: ChatMessageType;
  body: string;
}

export interface SendResult {
  message: ChatMessage;
  /** True when this (sender, clientMsgId) was already stored: nothing new was written. */
  duplicate: boolean;
  /** Who should get a push: the conversation's members except the sender (empty for duplicates). */
  recipients: number[];
}

export interface CommitterOptions {
  pool: MysqlPool;
  /** Longest wait before a batch is written (chat.commit_interval_ms). */
  intervalMs: number;
  /** Most messages in one transaction (chat.commit_max_batch). */
  maxBatch: number;
  logger: Logger;
  /** Called after each COMMIT with the messages it stored (not duplicates, not refusals). */
  onCommitted?: (results: SendResult[]) => void;
  /** Batches committed concurrently (chat.commit_lanes); a sender always uses the same lane. */
  lanes?: number;
  /** Attempts per batch for retryable failures (deadlock, lost connection, duplicate key race). */
  attempts?: number;
}

interface Entry {
  cmd: SendCommand;
  resolve: (result: SendResult) => void;
  reject: (err: Error) => void;
}

type Outcome = SendResult | ParleyError;

interface Lane {
  pending: Entry[];
  timer: NodeJS.Timeout | undefined;
  loop: Promise<void> | undefined;
}

interface MessageRow extends RowDataPacket {
  i: number;
  conversation_id: number;
  seq: number;
  sender_uid: number;
  client_msg_id: string;
  type: ChatMessageType;
  body: string;
  created_at: Date | null;
}

const ER_DUP_ENTRY = 1062;
const ER_LOCK_WAIT_TIMEOUT = 1205;
const ER_LOCK_DEADLOCK = 1213;

function sqlErrno(err: unknown): number | undefined {
  const errno = (err as { errno?: unknown } | null)?.errno;
  return typeof errno === 'number' ? errno : undefined;
}

/** SQL errors a retry can cure: lock contention, and a concurrent insert of the same clientMsgId. */
function isRetryable(err: unknown): boolean {
  const errno = sqlErrno(err);
  // No SQL errno (or a client-side one) means the connection failed; the retry finds out what committed.
  if (errno === undefined || errno < 1000 || errno >= 4000) return true;
  return errno === ER_DUP_ENTRY || errno === ER_LOCK_WAIT_TIMEOUT || errno === ER_LOCK_DEADLOCK;
}

/** Errors caused by the values of some row; splitting the batch isolates the culprit. */
const ROW_DATA_ERRNOS = new Set([
  1048, // ER_BAD_NULL_ERROR
  1264, // ER_WARN_DATA_OUT_OF_RANGE
  1265, // WARN_DATA_TRUNCATED
  1366, // ER_TRUNCATED_WRONG_VALUE_FOR_FIELD
  1406, // ER_DATA_TOO_LONG
  1452, // ER_NO_REFERENCED_ROW_2
  1644, // ER_SIGNAL_EXCEPTION (a trigger refused a row)
]);

function isRowDataError(err: unknown): boolean {
  const errno = sqlErrno(err);
  return errno !== undefined && ROW_DATA_ERRNOS.has(errno);
}

/** `SELECT ? AS a, ? AS b UNION ALL SELECT ?, ? …`: rows of values as a derived table. */
function derivedRows(columns: string[], rows: unknown[][]): { sql: string; args: unknown[] } {
  const first = `SELECT ${columns.map((c) => `? AS ${c}`).join(', ')}`;
  const rest = `SELECT ${columns.map(() => '?').join(', ')}`;
  return { sql: rows.map((_, i) => (i === 0 ? first : rest)).join(' UNION ALL '), args: rows.flat() };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Group commit of chat messages. Sends are collected and written every `intervalMs` or every
 * `maxBatch` messages, whichever comes first, in ONE transaction: per conversation the seqs are
 * reserved with a single UPDATE of conversations.max_seq (rows locked in ascending id order, so
 * two servers never deadlock on them), then every message goes in with one multi-row INSERT.
 * Promises resolve only after COMMIT; a batch that cannot be committed rejects, so an ack is
 * never sent for a message that is not durable. Seqs are gap-free because the reservation and
 * the inserts commit or roll back together.
 *
 * Idempotency: (sender_uid, client_msg_id) is unique. Before inserting, one query finds which
 * sends are already stored and which repeat an earlier send of the same batch; both compare with
 * the column's collation, exactly as the unique key does. A concurrent writer of the same key on
 * another server surfaces as a duplicate-key error, and the retry then finds its row.
 *
 * Lanes: a sender always maps to the same lane (uid modulo `lanes`), and each lane has one batch
 * in flight at a time — while it commits the next one fills, which is what makes group commit pay
 * off, and a sender's messages keep their order. Several lanes overlap their commit latency;
 * lanes writing the same conversation simply queue on its row lock.
 */
export class MessageCommitter {
  private readonly lanes: Lane[];
  private closed = false;
  private readonly attempts: number;

  constructor(private readonly options: CommitterOptions) {
    this.attempts = options.attempts ?? 4;
    this.lanes = Array.from({ length: Math.max(1, options.lanes ?? 1) }, () => ({ pending: [], timer: undefined, loop: undefined }));
  }

  /** Queues a send; resolves after the commit that made it durable (or found it already stored). */
  submit(cmd: SendCommand): Promise<SendResult> {
    if (this.closed) return Promise.reject(new ParleyError('UNAVAILABLE', 'The server is shutting down; send again'));
    const lane = this.lanes[cmd.senderUid % this.lanes.length] as Lane;
    return new Promise<SendResult>((resolve, reject) => {
      lane.pending.push({ cmd, resolve, reject });
      this.schedule(lane);
    });
  }

  /** Messages waiting for their next batch. */
  get queued(): number {
    return this.lanes.reduce((n, lane) => n + lane.pending.length, 0);
  }

  /** Writes everything queued so far and resolves when it is settled. */
  async flush(): Promise<void> {
    await Promise.all(
      this.lanes.map(async (lane) => {
        if (lane.timer) clearTimeout(lane.timer);
        lane.timer = undefined;
        if (!lane.loop && lane.pending.length > 0) this.startLoop(lane);
        while (lane.loop) await lane.loop;
      }),
    );
  }

  /** Refuses new sends, then flushes. */
  async close(): Promise<void> {
    this.closed = true;
    await this.flush();
  }

  private schedule(lane: Lane): void {
    if (lane.loop) return; // the running loop takes it
    if (lane.pending.length >= this.options.maxBatch) {
      if (lane.timer) clearTimeout(lane.timer);
      lane.timer = undefined;
      this.startLoop(lane);
    } else if (!lane.timer) {
      lane.timer = setTimeout(() => {
        lane.timer = undefined;
        if (!lane.loop) this.startLoop(lane);
      }, this.options.intervalMs);
    }
  }

  private startLoop(lane: Lane): void {
    lane.loop = (async () => {
      try {
        while (lane.pending.length > 0) {
          const batch = lane.pending.splice(0, this.options.maxBatch);
          await this.commitBatch(batch);
        }
      } finally {
        lane.loop = undefined;
      }
    })();
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

  /** One transaction for the whole batch. Outcomes are in the order of `cmds`. */
  private async commitOnce(cmds: SendCommand[]): Promise<Outcome[]> {
    const conn = await this.options.pool.getConnection();
    try {
      await conn.query('SET TRANSACTION ISOLATION LEVEL READ COMMITTED');
      await conn.beginTransaction();
      try {
        const outcomes = await this.writeBatch(conn, cmds);
        await conn.commit();
        return outcomes;
      } catch (err) {
        await conn.rollback().catch(() => undefined);
        throw err;
      }
    } finally {
      conn.release();
    }
  }

  private async writeBatch(conn: PoolConnection, cmds: SendCommand[]): Promise<Outcome[]> {
    const outcomes: (Outcome | undefined)[] = new Array(cmds.length).fill(undefined);
    const repeats = await this.findRepeats(conn, cmds, outcomes);
    const fresh: number[] = [];
    cmds.forEach((_, i) => {
      if (outcomes[i] === undefined && !repeats.has(i)) fresh.push(i);
    });

    const targets = await this.authorize(conn, cmds, fresh, outcomes);
    const accepted = fresh.filter((i) => outcomes[i] === undefined);

    if (accepted.length > 0) {
      // Reserve seqs: one UPDATE for every conversation of the batch, rows locked in id order.
      const counts = new Map<number, number>();
      for (const i of accepted) {
        const conversationId = (targets.get(i) as Target).conversationId;
        counts.set(conversationId, (counts.get(conversationId) ?? 0) + 1);
      }
      const ids = [...counts.keys()].sort((a, b) => a - b);
      const cases = ids.map(() => 'WHEN ? THEN ?').join(' ');
      const caseArgs = ids.flatMap((id) => [id, counts.get(id) as number]);
      await conn.query(`UPDATE conversations SET max_seq = max_seq + CASE id ${cases} END WHERE id IN (?) ORDER BY id`, [...caseArgs, ids]);
      const [maxRows] = await conn.query<RowDataPacket[]>('SELECT id, max_seq FROM conversations WHERE id IN (?) ORDER BY id FOR UPDATE', [ids]);
      const next = new Map<number, number>();
      for (const row of maxRows) {
        const id = Number(row.id);
        next.set(id, Number(row.max_seq) - (counts.get(id) as number) + 1);
      }

      const now = Date.now();
      const createdAt = new Date(now);
      const rows: unknown[][] = [];
      for (const i of accepted) {
        const cmd = cmds[i] as SendCommand;
        const target = targets.get(i) as Target;
        const seq = next.get(target.conversationId);
        if (seq === undefined) throw new Error(`conversation ${target.conversationId} vanished while reserving seqs`);
        next.set(target.conversationId, seq + 1);
        rows.push([target.conversationId, seq, cmd.senderUid, cmd.clientMsgId, cmd.type, cmd.body, createdAt]);
        outcomes[i] = {
          message: { conversationId: target.conversationId, seq, senderUid: cmd.senderUid, clientMsgId: cmd.clientMsgId, type: cmd.type, body: cmd.body, serverTime: now },
          duplicate: false,
          recipients: target.recipients,
        };
      }
      await conn.query<ResultSetHeader>('INSERT INTO messages (conversation_id, seq, sender_uid, client_msg_id, type, body, created_at) VALUES ?', [rows]);
    }

    // A repeat within the batch gets whatever its first occurrence got (ack or refusal).
    for (const [i, first] of repeats) {
      const original = outcomes[first];
      outcomes[i] = original instanceof ParleyError || original === undefined ? original : { ...original, duplicate: true, recipients: [] };
    }
    return outcomes.map((o) => o ?? new ParleyError('INTERNAL', 'The message was not processed'));
  }

  /**
   * Marks sends already stored (outcome = the stored message) and returns the sends that repeat an
   * earlier send of this batch (index → index of the first).
   */
  private async findRepeats(conn: PoolConnection, cmds: SendCommand[], outcomes: (Outcome | undefined)[]): Promise<Map<number, number>> {
    const repeats = new Map<number, number>();
    // client_msg_id is ascii_bin: byte equality here is exactly the unique key's equality.
    const firstByKey = new Map<string, number>();
    cmds.forEach((cmd, i) => {
      const key = `${cmd.senderUid}\u0000${cmd.clientMsgId}`;
      const first = firstByKey.get(key);
      if (first === undefined) firstByKey.set(key, i);
      else repeats.set(i, first);
    });
    const batch = derivedRows(['i', 's', 'c'], cmds.map((c, i) => [i, c.senderUid, c.clientMsgId]));
    const [rows] = await conn.query<MessageRow[]>(
      `WITH g AS (${batch.sql})
       SELECT g.i, m.conversation_id, m.seq, m.sender_uid, m.client_msg_id, m.type, m.body, m.created_at
         FROM g JOIN messages m ON m.sender_uid = g.s AND m.client_msg_id = g.c`,
      batch.args,
    );
    for (const row of rows) {
      outcomes[Number(row.i)] = {
        message: {
          conversationId: Number(row.conversation_id),
          seq: Number(row.seq),
          senderUid: Number(row.sender_uid),
          clientMsgId: String(row.client_msg_id),
          type: row.type,
          body: String(row.body),
          serverTime: (row.created_at as Date).getTime(),
        },
        duplicate: true,
        recipients: [],
      };
    }
    // A repeat of a stored message is itself stored: report it as such, not as a repeat.
    for (const i of repeats.keys()) if (outcomes[i] !== undefined) repeats.delete(i);
    return repeats;
  }

  /**
   * Decides where each fresh send goes. `to`: the friendship row gives the conversation. A
   * conversation id: the sender must be a member, and in a direct conversation still a friend.
   * Refusals are written into outcomes.
   */
  private async authorize(conn: PoolConnection, cmds: SendCommand[], fresh: number[], outcomes: (Outcome | undefined)[]): Promise<Map<number, Target>> {
    const targets = new Map<number, Target>();
    const byConversation = fresh.filter((i) => (cmds[i] as SendCommand).conversationId !== undefined);
    const members = new Map<number, { kind: string; uids: number[] }>();
    if (byConversation.length > 0) {
      const ids = [...new Set(byConversation.map((i) => (cmds[i] as SendCommand).conversationId as number))];
      const [rows] = await conn.query<RowDataPacket[]>(
        'SELECT c.id, c.kind, cm.user_id FROM conversations c JOIN conversation_members cm ON cm.conversation_id = c.id WHERE c.id IN (?)',
        [ids],
      );
      for (const row of rows) {
        const id = Number(row.id);
        let entry = members.get(id);
        if (!entry) {
          entry = { kind: String(row.kind), uids: [] };
          members.set(id, entry);
        }
        entry.uids.push(Number(row.user_id));
      }
    }

    // Friend pairs to check: explicit `to`, and the peer of every direct conversation.
    const pairs = new Map<number, { sender: number; peer: number; conversationId?: number }>();
    for (const i of fresh) {
      const cmd = cmds[i] as SendCommand;
      if (cmd.to !== undefined) {
        pairs.set(i, { sender: cmd.senderUid, peer: cmd.to });
        continue;
      }
      const conv = members.get(cmd.conversationId as number);
      if (!conv || !conv.uids.includes(cmd.senderUid)) {
        outcomes[i] = new ParleyError('NOT_MEMBER', 'You are not a member of this conversation');
        continue;
      }
      const recipients = conv.uids.filter((u) => u !== cmd.senderUid);
      if (conv.kind === 'direct') {
        const peer = recipients[0];
        if (peer === undefined) {
          outcomes[i] = new ParleyError('NOT_FRIENDS');
          continue;
        }
        pairs.set(i, { sender: cmd.senderUid, peer, conversationId: cmd.conversationId as number });
      } else {
        targets.set(i, { conversationId: cmd.conversationId as number, recipients });
      }
    }

    if (pairs.size > 0) {
      const unique = new Map<string, [number, number]>();
      for (const p of pairs.values()) unique.set(`${p.sender}:${p.peer}`, [p.sender, p.peer]);
      // A join with a derived table: point lookups, where a long (a, b) IN list makes the optimizer crawl.
      const wanted = derivedRows(['u', 'f'], [...unique.values()]);
      const [rows] = await conn.query<RowDataPacket[]>(
        `WITH p AS (${wanted.sql}) SELECT fs.user_id, fs.friend_id, fs.conversation_id FROM p JOIN friendships fs ON fs.user_id = p.u AND fs.friend_id = p.f`,
        wanted.args,
      );
      const friendships = new Map<string, number>();
      for (const row of rows) friendships.set(`${Number(row.user_id)}:${Number(row.friend_id)}`, Number(row.conversation_id));
      for (const [i, p] of pairs) {
        const conversationId = friendships.get(`${p.sender}:${p.peer}`);
        if (conversationId === undefined || (p.conversationId !== undefined && p.conversationId !== conversationId)) {
          outcomes[i] = new ParleyError('NOT_FRIENDS');
          continue;
        }
        targets.set(i, { conversationId, recipients: [p.peer] });
      }
    }
    return targets;
  }
}

interface Target {
  conversationId: number;
  recipients: number[];
}
