import type { Logger, MysqlPool } from '@parley/common';

export interface DeliveredAckWriterOptions {
  pool: MysqlPool;
  logger: Logger;
  /** How often collected acks are written. */
  intervalMs?: number;
  /** Rows per UPDATE statement at most. */
  maxRows?: number;
}

/**
 * DeliveredAck → conversation_members.acked_seq, batched: acks are merged in memory (highest seq
 * per user and conversation) and written every `intervalMs` with one UPDATE per chunk, using
 * GREATEST so a late or repeated ack never moves the cursor back, and capped at the
 * conversation's max_seq so a client cannot ack messages that do not exist. Acks of
 * non-members match no row and vanish. Losing unwritten acks in a crash only makes a few
 * messages look unread again.
 */
export class DeliveredAckWriter {
  private pending = new Map<string, { uid: number; conversationId: number; seq: number }>();
  private readonly timer: NodeJS.Timeout;
  private writing: Promise<void> = Promise.resolve();
  private readonly maxRows: number;

  constructor(private readonly options: DeliveredAckWriterOptions) {
    this.maxRows = options.maxRows ?? 500;
    this.timer = setInterval(() => void this.flush(), options.intervalMs ?? 250);
    this.timer.unref();
  }

  record(uid: number, conversationId: number, seq: number): void {
    const key = `${conversationId}:${uid}`;
    const current = this.pending.get(key);
    if (!current) this.pending.set(key, { uid, conversationId, seq });
    else if (seq > current.seq) current.seq = seq;
  }

  get size(): number {
    return this.pending.size;
  }

  /** Writes what has been collected; resolves when it (and any earlier write) is done. */
  flush(): Promise<void> {
    if (this.pending.size === 0) return this.writing;
    const batch = [...this.pending.values()];
    this.pending = new Map();
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
      const cases = chunk.map(() => 'WHEN cm.conversation_id = ? AND cm.user_id = ? THEN ?').join(' ');
      const caseArgs = chunk.flatMap((a) => [a.conversationId, a.uid, a.seq]);
      const keys = chunk.map((a) => [a.conversationId, a.uid]);
      try {
        await this.options.pool.query(
          `UPDATE conversation_members cm JOIN conversations c ON c.id = cm.conversation_id
              SET cm.acked_seq = GREATEST(cm.acked_seq, LEAST(c.max_seq, CASE ${cases} ELSE 0 END))
            WHERE (cm.conversation_id, cm.user_id) IN (?)`,
          [...caseArgs, keys],
        );
      } catch (err) {
        this.options.logger.warn({ err, rows: chunk.length }, 'delivered acks not written');
      }
    }
  }
}
