import type { PoolConnection, ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import { ParleyError, type Logger, type MysqlPool } from '@parley/common';
import type { ChatMessage, ChatMessageType } from '@parley/protocol';
import { toMessage, type MessageRow } from './message-row';
import { derivedRows } from './sql-rows';

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
  /** Must allow multi-statement queries: `createMysqlPool(cfg, { multipleStatements: true })`. */
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

/** A stored message found for the batch entry `i`. */
interface StoredRow extends MessageRow {
  i: number;
}

const ER_DUP_ENTRY = 1062;
const ER_LOCK_WAIT_TIMEOUT = 1205;
const ER_LOCK_DEADLOCK = 1213;
const ER_BAD_NULL_ERROR = 1048;
const ER_NO_REFERENCED_ROW_2 = 1452;

/**
 * What makes the fast path (cached conversations, no reads first) refuse a batch as a whole: a
 * resend of a stored message (duplicate key) or a friendship that is gone or changed (the INSERT's
 * friendship join yields a NULL conversation). The careful path then sorts it out per message.
 */
const FAST_PATH_FALLBACK_ERRNOS = new Set([ER_DUP_ENTRY, ER_BAD_NULL_ERROR, ER_NO_REFERENCED_ROW_2]);

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

/** Remembered direct conversations (per sender and address) beyond this many are forgotten at once. */
const CONVERSATION_CACHE_MAX = 200_000;

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

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Group commit of chat messages. Sends are collected and written every `intervalMs` or every
 * `maxBatch` messages, whichever comes first, in ONE transaction sent as one multi-statement round
 * trip: per conversation the seqs are reserved with a single UPDATE of conversations.max_seq (rows
 * locked in ascending id order, so two servers never deadlock on them), then every message goes in
 * with one INSERT … SELECT, and COMMIT follows without waiting for this process. Promises resolve
 * only after COMMIT; a batch that cannot be committed rejects, so an ack is never sent for a
 * message that is not durable. Seqs are gap-free because the reservation and the inserts commit
 * or roll back together.
 *
 * Fast path: when every send goes to a direct conversation authorized before (remembered per
 * sender and address), the write is the only round trip; its INSERT re-checks friendship and
 * membership itself (NULL conversation → error) and the unique key catches resends, and any such
 * failure rolls the batch back and sends it down the careful path below.
 *
 * Idempotency: (sender_uid, client_msg_id) is unique. On the careful path one query first finds
 * which sends are already stored and which repeat an earlier send of the same batch; both compare
 * with the column's collation, exactly as the unique key does. A concurrent writer of the same key
 * on another server surfaces as a duplicate-key error, and the retry then finds its row.
 *
 * Lanes: a sender always maps to the same lane (uid modulo `lanes`), and each lane has one batch
 * in flight at a time — while it commits the next one fills, which is what makes group commit pay
 * off, and a sender's messages keep their order. Several lanes overlap their commit latency;
 * lanes writing the same conversation simply queue on its row lock.
 */
export class MessageCommitter {
  private readonly lanes: Lane[];
  /** `sender>to` or `sender@conversation` → the direct conversation and the peer, as a careful batch found them. */
  private readonly direct = new Map<string, { conversationId: number; peer: number }>();
  private closed = false;
  private readonly attempts: number;

  constructor(private readonly options: CommitterOptions) {
    this.attempts = options.attempts ?? 4;
    const { config } = options.pool.pool as unknown as { config: { connectionConfig?: { multipleStatements?: boolean } } };
    if (config.connectionConfig?.multipleStatements !== true) {
      throw new Error('MessageCommitter needs a pool created with multipleStatements: true');
    }
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
          const batch = lane.pending.splice(0, this.batchLength(lane.pending));
          await this.commitBatch(batch);
        }
      } finally {
        lane.loop = undefined;
      }
    })();
  }

  /**
   * How many of the pending sends make the next batch: at most maxBatch, and no more than fit the
   * SQL size budget (the write statement must stay below max_allowed_packet), at least one.
   */
  private batchLength(pending: Entry[]): number {
    const max = Math.min(pending.length, this.options.maxBatch);
    let bytes = 0;
    for (let n = 0; n < max; n++) {
      bytes += estimatedSqlBytes((pending[n] as Entry).cmd);
      if (bytes > MAX_BATCH_SQL_BYTES && n > 0) return n;
    }
    return max;
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

  /**
   * The whole batch in one round trip (fast path) or two (careful path: (1) reads, outside any
   * transaction: which sends are already stored, and what authorizes the rest; (2) the write). The
   * write is one multi-statement transaction: reserve the seqs, insert the messages with seqs
   * computed from the reserved maxima, read the maxima back, COMMIT. Nothing waits for this process
   * between taking the conversations' row locks and releasing them, so a busy event loop never
   * makes another server queue on those rows. Outcomes are in the order of `cmds`.
   */
  private async commitOnce(cmds: SendCommand[]): Promise<Outcome[]> {
    const conn = await this.options.pool.getConnection();
    try {
      const known = this.knownTargets(cmds);
      if (known) {
        // Fast path: one round trip. The INSERT re-checks every friendship, and the unique key
        // catches resends; either failure rolls the whole batch back and the careful path runs.
        const outcomes: (Outcome | undefined)[] = new Array(cmds.length).fill(undefined);
        try {
          await this.writeBatch(conn, cmds, cmds.map((_, i) => i), known, outcomes, true);
          return outcomes.map((o) => o ?? new ParleyError('INTERNAL', 'The message was not processed'));
        } catch (err) {
          const errno = sqlErrno(err);
          if (errno === undefined || !FAST_PATH_FALLBACK_ERRNOS.has(errno)) throw err;
        }
      }
      const outcomes: (Outcome | undefined)[] = new Array(cmds.length).fill(undefined);
      const { repeats, fresh, facts } = await this.readBatch(conn, cmds, outcomes);
      const targets = authorize(cmds, fresh, facts, outcomes);
      this.learn(cmds, fresh, targets, facts);
      const accepted = fresh.filter((i) => outcomes[i] === undefined);
      if (accepted.length > 0) await this.writeBatch(conn, cmds, accepted, targets, outcomes, false);
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

  /**
   * The targets of a batch whose sends all go to a remembered direct conversation (by `to`, or by
   * id with the remembered peer) and that holds no repeated clientMsgId; undefined otherwise (the
   * careful path handles it).
   */
  private knownTargets(cmds: SendCommand[]): Map<number, Target> | undefined {
    const targets = new Map<number, Target>();
    const keys = new Set<string>();
    for (let i = 0; i < cmds.length; i++) {
      const cmd = cmds[i] as SendCommand;
      const known = this.direct.get(addressKey(cmd));
      if (known === undefined) return undefined;
      const key = idempotencyKey(cmd);
      if (keys.has(key)) return undefined;
      keys.add(key);
      targets.set(i, { conversationId: known.conversationId, recipients: [known.peer] });
    }
    return targets;
  }

  /** Remembers the direct conversations a careful batch authorized, and forgets those it refused. */
  private learn(cmds: SendCommand[], fresh: number[], targets: Map<number, Target>, facts: AuthFacts): void {
    if (this.direct.size >= CONVERSATION_CACHE_MAX) this.direct.clear();
    for (const i of fresh) {
      const cmd = cmds[i] as SendCommand;
      const key = addressKey(cmd);
      const target = targets.get(i);
      const direct = cmd.to !== undefined || facts.members.get(cmd.conversationId as number)?.kind === 'direct';
      const peer = target?.recipients[0];
      if (target && direct && peer !== undefined) this.direct.set(key, { conversationId: target.conversationId, peer });
      else this.direct.delete(key);
    }
  }

  /**
   * One round trip of SELECTs: the sends already stored (their outcome = the stored message), the
   * members of the conversations addressed by id, and the friendships that authorize the rest.
   * Returns the sends that repeat an earlier send of this batch (index → index of the first) and the
   * fresh ones. READ COMMITTED semantics either way: each SELECT sees what was committed when it ran.
   */
  private async readBatch(
    conn: PoolConnection,
    cmds: SendCommand[],
    outcomes: (Outcome | undefined)[],
  ): Promise<{ repeats: Map<number, number>; fresh: number[]; facts: AuthFacts }> {
    const repeats = new Map<number, number>();
    const firstByKey = new Map<string, number>();
    cmds.forEach((cmd, i) => {
      const key = idempotencyKey(cmd);
      const first = firstByKey.get(key);
      if (first === undefined) firstByKey.set(key, i);
      else repeats.set(i, first);
    });

    const statements: string[] = [];
    const args: unknown[] = [];
    const stored = derivedRows(['i', 's', 'c'], cmds.map((c, i) => [i, c.senderUid, c.clientMsgId]));
    statements.push(
      `SELECT g.i, m.conversation_id, m.seq, m.sender_uid, m.client_msg_id, m.type, m.body, m.created_at
         FROM (${stored.sql}) g JOIN messages m ON m.sender_uid = g.s AND m.client_msg_id = g.c`,
    );
    args.push(...stored.args);

    // Conversations addressed by id: their members, and the sender's friendship row in each
    // (a direct conversation also needs the friendship to still exist).
    const conversationIds = [...new Set(cmds.filter((c) => c.conversationId !== undefined).map((c) => c.conversationId as number))];
    if (conversationIds.length > 0) {
      statements.push('SELECT c.id, c.kind, cm.user_id FROM conversations c JOIN conversation_members cm ON cm.conversation_id = c.id WHERE c.id IN (?)');
      args.push(conversationIds);
    }
    // Friend pairs: explicit `to`, and (sender, conversation) for sends addressed by id.
    const pairs = new Map<string, [number, number]>();
    for (const c of cmds) if (c.to !== undefined) pairs.set(`${c.senderUid}:${c.to}`, [c.senderUid, c.to]);
    const bySenderConversation = new Map<string, [number, number]>();
    for (const c of cmds) if (c.conversationId !== undefined) bySenderConversation.set(`${c.senderUid}:${c.conversationId}`, [c.senderUid, c.conversationId]);
    if (pairs.size > 0) {
      // A join with a derived table: point lookups, where a long (a, b) IN list makes the optimizer crawl.
      const wanted = derivedRows(['u', 'f'], [...pairs.values()]);
      statements.push(`SELECT fs.user_id, fs.friend_id, fs.conversation_id FROM (${wanted.sql}) p JOIN friendships fs ON fs.user_id = p.u AND fs.friend_id = p.f`);
      args.push(...wanted.args);
    }
    if (bySenderConversation.size > 0) {
      const wanted = derivedRows(['u', 'v'], [...bySenderConversation.values()]);
      statements.push(`SELECT fs.user_id, fs.friend_id, fs.conversation_id FROM (${wanted.sql}) p JOIN friendships fs ON fs.conversation_id = p.v AND fs.user_id = p.u`);
      args.push(...wanted.args);
    }

    const [raw] = await conn.query(statements.join(';\n'), args);
    // One statement answers its rows; several answer one result per statement.
    const results = (statements.length === 1 ? [raw] : raw) as RowDataPacket[][];
    let next = 0;
    const storedRows = results[next++] as StoredRow[];
    const memberRows = conversationIds.length > 0 ? (results[next++] as RowDataPacket[]) : [];
    const friendRows: RowDataPacket[] = [];
    if (pairs.size > 0) friendRows.push(...(results[next++] as RowDataPacket[]));
    if (bySenderConversation.size > 0) friendRows.push(...(results[next++] as RowDataPacket[]));

    for (const row of storedRows) {
      outcomes[Number(row.i)] = {
        message: toMessage(row),
        duplicate: true,
        recipients: [],
      };
    }
    // A repeat of a stored message is itself stored: report it as such, not as a repeat.
    for (const i of repeats.keys()) if (outcomes[i] !== undefined) repeats.delete(i);
    const fresh: number[] = [];
    cmds.forEach((_, i) => {
      if (outcomes[i] === undefined && !repeats.has(i)) fresh.push(i);
    });

    const members = new Map<number, { kind: string; uids: number[] }>();
    for (const row of memberRows) {
      const id = Number(row.id);
      let entry = members.get(id);
      if (!entry) {
        entry = { kind: String(row.kind), uids: [] };
        members.set(id, entry);
      }
      entry.uids.push(Number(row.user_id));
    }
    const friendships = new Map<string, number>();
    for (const row of friendRows) friendships.set(`${Number(row.user_id)}:${Number(row.friend_id)}`, Number(row.conversation_id));
    return { repeats, fresh, facts: { members, friendships } };
  }

  /**
   * One round trip, one READ COMMITTED transaction: a single UPDATE reserves every conversation's
   * seqs (rows locked in ascending id order, so servers never deadlock on them), one INSERT … SELECT
   * stores every message with seq = the conversation's new max_seq minus its offset in the batch,
   * the new maxima are read back (our own locked rows), COMMIT. Any failing statement stops the rest
   * (no COMMIT) and the transaction is rolled back. A conversation that vanished makes the INSERT
   * fail (its seq is NULL, and the foreign key), never a silent omission.
   */
  private async writeBatch(
    conn: PoolConnection,
    cmds: SendCommand[],
    accepted: number[],
    targets: Map<number, Target>,
    outcomes: (Outcome | undefined)[],
    checkFriends: boolean,
  ): Promise<void> {
    const counts = new Map<number, number>();
    for (const i of accepted) {
      const conversationId = (targets.get(i) as Target).conversationId;
      counts.set(conversationId, (counts.get(conversationId) ?? 0) + 1);
    }
    const ids = [...counts.keys()].sort((a, b) => a - b);
    const cases = ids.map(() => 'WHEN ? THEN ?').join(' ');
    const caseArgs = ids.flatMap((id) => [id, counts.get(id) as number]);

    const now = Date.now();
    const createdAt = new Date(now);
    // offset = how many messages of the same conversation follow this one in the batch.
    const placed = new Map<number, number>();
    const offsets: number[] = [];
    const rows: unknown[][] = [];
    for (const i of accepted) {
      const cmd = cmds[i] as SendCommand;
      const conversationId = (targets.get(i) as Target).conversationId;
      const k = (placed.get(conversationId) ?? 0) + 1;
      placed.set(conversationId, k);
      const offset = (counts.get(conversationId) as number) - k;
      offsets.push(offset);
      const peer = cmd.to ?? (targets.get(i) as Target).recipients[0] ?? 0;
      const byId = cmd.conversationId !== undefined ? 1 : 0;
      rows.push([conversationId, offset, cmd.senderUid, peer, byId, cmd.clientMsgId, cmd.type, cmd.body, createdAt]);
    }
    const values = derivedRows(['c', 'o', 's', 'f', 'k', 'm', 't', 'b', 'a'], rows);
    // Fast path: the conversation comes from the friendship row itself, and for a send addressed by
    // id also needs the sender's membership: NULL (an error, the whole batch refused) without them.
    const conversation = checkFriends ? 'CASE WHEN g.k = 0 OR cm.user_id IS NOT NULL THEN fs.conversation_id END' : 'g.c';
    const friendJoin = checkFriends
      ? `LEFT JOIN friendships fs ON fs.user_id = g.s AND fs.friend_id = g.f AND fs.conversation_id = g.c
         LEFT JOIN conversation_members cm ON g.k = 1 AND cm.conversation_id = g.c AND cm.user_id = g.s`
      : '';

    let results: unknown[];
    try {
      [results] = (await conn.query(
        `SET TRANSACTION ISOLATION LEVEL READ COMMITTED;
         START TRANSACTION;
         UPDATE conversations SET max_seq = max_seq + CASE id ${cases} END WHERE id IN (?) ORDER BY id;
         INSERT INTO messages (conversation_id, seq, sender_uid, client_msg_id, type, body, created_at)
           SELECT ${conversation}, cv.max_seq - g.o, g.s, g.m, g.t, g.b, g.a
             FROM (${values.sql}) g ${friendJoin} LEFT JOIN conversations cv ON cv.id = g.c;
         SELECT id, max_seq FROM conversations WHERE id IN (?);
         COMMIT`,
        [...caseArgs, ids, ...values.args, ids],
      )) as unknown as [unknown[]];
    } catch (err) {
      // A connection that cannot even roll back is dropped: a transaction left open on it would be
      // committed by the next START TRANSACTION.
      await conn.query('ROLLBACK').catch(() => conn.destroy());
      throw err;
    }

    const inserted = (results[3] as ResultSetHeader).affectedRows;
    const maxima = new Map<number, number>();
    for (const row of results[4] as RowDataPacket[]) maxima.set(Number(row.id), Number(row.max_seq));
    if (inserted !== accepted.length || maxima.size !== ids.length) {
      // Cannot happen (a missing row fails the INSERT); never ack what we cannot vouch for.
      throw new Error(`message batch wrote ${inserted} of ${accepted.length} rows in ${maxima.size} of ${ids.length} conversations`);
    }
    accepted.forEach((i, n) => {
      const cmd = cmds[i] as SendCommand;
      const target = targets.get(i) as Target;
      const seq = (maxima.get(target.conversationId) as number) - (offsets[n] as number);
      outcomes[i] = {
        message: { conversationId: target.conversationId, seq, senderUid: cmd.senderUid, clientMsgId: cmd.clientMsgId, type: cmd.type, body: cmd.body, serverTime: now },
        duplicate: false,
        recipients: target.recipients,
      };
    });
  }
}

/** How a send is addressed: `sender>to` or `sender@conversation` (the key of remembered targets). */
function addressKey(cmd: SendCommand): string {
  return cmd.to !== undefined ? `${cmd.senderUid}>${cmd.to}` : `${cmd.senderUid}@${cmd.conversationId}`;
}

/** The unique key (sender_uid, client_msg_id); the column is ascii_bin, so string equality is its equality. */
function idempotencyKey(cmd: SendCommand): string {
  return `${cmd.senderUid}\u0000${cmd.clientMsgId}`;
}

interface AuthFacts {
  /** Conversation id → kind and member uids (conversations addressed by id). */
  members: Map<number, { kind: string; uids: number[] }>;
  /** `sender:friend` → the friendship's conversation. */
  friendships: Map<string, number>;
}

/**
 * Decides where each fresh send goes. `to`: the friendship row gives the conversation. A
 * conversation id: the sender must be a member, and in a direct conversation still a friend of the
 * other member. Refusals are written into outcomes.
 */
function authorize(cmds: SendCommand[], fresh: number[], facts: AuthFacts, outcomes: (Outcome | undefined)[]): Map<number, Target> {
  const targets = new Map<number, Target>();
  for (const i of fresh) {
    const cmd = cmds[i] as SendCommand;
    if (cmd.to !== undefined) {
      const conversationId = facts.friendships.get(`${cmd.senderUid}:${cmd.to}`);
      if (conversationId === undefined) outcomes[i] = new ParleyError('NOT_FRIENDS');
      else targets.set(i, { conversationId, recipients: [cmd.to] });
      continue;
    }
    const conv = facts.members.get(cmd.conversationId as number);
    if (!conv || !conv.uids.includes(cmd.senderUid)) {
      outcomes[i] = new ParleyError('NOT_MEMBER', 'You are not a member of this conversation');
      continue;
    }
    const recipients = conv.uids.filter((u) => u !== cmd.senderUid);
    if (conv.kind === 'direct') {
      const peer = recipients[0];
      if (peer === undefined || facts.friendships.get(`${cmd.senderUid}:${peer}`) !== cmd.conversationId) {
        outcomes[i] = new ParleyError('NOT_FRIENDS');
        continue;
      }
      targets.set(i, { conversationId: cmd.conversationId as number, recipients: [peer] });
    } else {
      targets.set(i, { conversationId: cmd.conversationId as number, recipients });
    }
  }
  return targets;
}

interface Target {
  conversationId: number;
  recipients: number[];
}
