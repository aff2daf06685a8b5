import type { RowDataPacket } from 'mysql2/promise';
import type { Logger, MysqlPool } from '@parley/common';
import { derivedRows } from './sql-rows';

export interface DeliveredAckWriterOptions {
  pool: MysqlPool;
  logger: Logger;
  /** How often collected acks are written. */
  intervalMs?: number;
  /** Rows per UPDATE statement at most. */
  maxRows?: number;
  /** Conversations with an unwritten ack per user at most; acks for further ones are dropped. */
  maxPerUser?: number;
}

/**
 * DeliveredAck → conversation_members.acked_seq, batched: acks are merged in memory (highest seq
 * per user and conversation) and written every `intervalMs` with one UPDATE per chunk, using
 * GREATEST so a late or repeated ack never moves the cursor back, and capped at the
 * conversation's max_seq (read without locking first) so a client cannot ack messages that do
 * not exist. Acks of
 * non-members match no row and vanish. Losing unwritten acks in a crash only makes a few
 * messages look unread again.
 */
export class DeliveredAckWriter {
  private pending = new Map<string, { uid: number; conversationId: number; seq: number }>();
  /** Entries of `pending` per uid, so one client naming endless conversation ids cannot grow it. */
  private perUser = new Map<number, number>();
  private readonly timer: NodeJS.Timeout;
  private writing: Promise<void> = Promise.resolve();
  private readonly maxRows: number;

  constructor(private readonly options: DeliveredAckWriterOptions) {
    this.maxRows = options.maxRows ?? 500;
    this.timer = setInterval(() => void this.flush(), options.intervalMs ?? 250);
    this.timer.unref();
  }

  /**
   * Collects an ack; false when it was dropped because uid already has maxPerUser other
   * conversations waiting (memory stays bounded; the client's next ack after the flush counts).
   */
  record(uid: number, conversationId: number, seq: number): boolean {
    const key = `${conversationId}:${uid}`;
    const current = this.pending.get(key);
    if (current) {
      if (seq > current.seq) current.seq = seq;
      return true;
    }
    const count = this.perUser.get(uid) ?? 0;
    if (count >= (this.options.maxPerUser ?? Number.POSITIVE_INFINITY)) return false;
    this.perUser.set(uid, count + 1);
    this.pending.set(key, { uid, conversationId, seq });
    return true;
  }

  get size(): number {
    return this.pending.size;
  }

  /** Writes what has been collected; resolves when it (and any earlier write) is done. */
  flush(): Promise<void> {
    if (this.pending.size === 0) return this.writing;
    const batch = [...this.pending.values()];
    this.pending = new Map();
    this.perUser = new Map();
    // Sorted so two servers updating overlapping rows lock them in the same order.
    batch.sort((a, b) => a.conversationId - b.conversationId || a.uid - b.uid);
    this.writing = this.writing.then(() => this.write(batch));
    return this.writing;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }

  private async write(batch: { uid: number; conversationId: number; seq: number }[]): Promise<void> {
    for (let i = 0; i < batch.length; i += this.maxRows) {
      const chunk = batch.slice(i, i + this.maxRows);
      try {
        // The caps come from a plain (non-locking) read: max_seq only grows, so a cap read a moment
        // early is merely conservative, and the senders' batches never queue behind this writer on
        // the conversations' rows. The UPDATE then locks only the members' own rows.
        const conversationIds = [...new Set(chunk.map((a) => a.conversationId))];
        const [maxRows] = await this.options.pool.query<RowDataPacket[]>('SELECT id, max_seq FROM conversations WHERE id IN (?)', [conversationIds]);
        const maxSeq = new Map<number, number>();
        for (const row of maxRows) maxSeq.set(Number(row.id), Number(row.max_seq));
        const rows: number[][] = [];
        for (const a of chunk) {
          const cap = maxSeq.get(a.conversationId);
          if (cap !== undefined && cap > 0) rows.push([a.conversationId, a.uid, Math.min(a.seq, cap)]);
        }
        if (rows.length === 0) continue;
        const values = derivedRows(['c', 'u', 's'], rows);
        await this.options.pool.query(
          `UPDATE conversation_members cm JOIN (${values.sql}) v ON cm.conversation_id = v.c AND cm.user_id = v.u
              SET cm.acked_seq = GREATEST(cm.acked_seq, LEAST(v.s, COALESCE(cm.left_seq, v.s)))`,
          values.args,
        );
      } catch (err) {
        this.options.logger.warn({ err, rows: chunk.length }, 'delivered acks not written');
      }
    }
  }
}
