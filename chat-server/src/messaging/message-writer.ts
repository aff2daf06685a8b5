import type { PoolConnection, ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import type { Outcome, SendCommand, Target } from './send-command';

/**
 * Conversations one reservation UPDATE names at most. MariaDB evaluates each updated row's CASE
 * branch by branch, so one UPDATE over n conversations costs O(n²): over 500 the writer cost 44 µs
 * of MariaDB CPU per message, more than at 64 (bench/src/db-floor.ts), so a backlog (bigger
 * batches) made every message dearer. Each statement has its own overhead too (one UPDATE per
 * conversation cost 68–90 µs per message); chunks of 16–64 measured alike, 26–30 µs at 500.
 */
export const RESERVE_CHUNK = 32;

/** One conversation written by a batch: its slot names the session variable holding its new max_seq. */
interface Written {
  id: number;
  slot: number;
  count: number;
  /** The oldest post_epoch any of the batch's sends to it was authorized at. */
  epoch: number;
}

/**
 * Writes the accepted sends of a batch in ONE round trip, one READ COMMITTED transaction:
 *
 * 1. UPDATEs of RESERVE_CHUNK conversations each reserve every conversation's seqs (rows locked
 *    in ascending id order, so servers never deadlock on them), and only where `post_epoch` is
 *    still the one the sends were authorized at: every change that takes a right to post away raises it under the same row
 *    lock (db/post-epoch.ts). Each updated row's new max_seq lands in a session variable
 *    `@pq<slot>`, reset to NULL first;
 * 2. one plain multi-row `INSERT … VALUES` stores every message with seq = that variable minus
 *    the message's offset in the batch. A conversation whose epoch moved on kept its variable
 *    NULL: its rows get a NULL conversation_id and the INSERT fails (ER_BAD_NULL_ERROR; outside
 *    strict mode the 0 it becomes fails the foreign key), so nothing is stored after an unfriend,
 *    a block or a removal has committed, and the batch goes back to the careful path;
 * 2b. for the file and image messages, their `message_files` rows (who may download the file), with
 *    the same seqs;
 * 3. the variables are read back, and the current members of the groups written to — read under
 *    the row lock every membership change also takes, so they are exactly the members at these
 *    seqs;
 * 4. COMMIT.
 *
 * A plain VALUES list is what makes this cheap: MariaDB spent about twice the CPU on the former
 * INSERT … SELECT from a derived table joined with friendships, memberships and blocks.
 * Nothing waits for this process between taking the row locks and releasing them. Any failing
 * statement stops the rest (no COMMIT) and the transaction is rolled back; the error is thrown.
 * On success the outcome of every accepted send is set.
 */
export async function writeBatch(
  conn: PoolConnection,
  cmds: readonly SendCommand[],
  accepted: readonly number[],
  targets: ReadonlyMap<number, Target>,
  outcomes: (Outcome | undefined)[],
): Promise<void> {
  const byId = new Map<number, Written>();
  const groups = new Set<number>();
  for (const i of accepted) {
    const target = targets.get(i) as Target;
    const written = byId.get(target.conversationId);
    if (written) {
      written.count++;
      written.epoch = Math.min(written.epoch, target.epoch);
    } else {
      byId.set(target.conversationId, { id: target.conversationId, slot: 0, count: 1, epoch: target.epoch });
    }
    if (target.kind === 'group') groups.add(target.conversationId);
  }
  const conversations = [...byId.values()].sort((a, b) => a.id - b.id);
  conversations.forEach((c, slot) => (c.slot = slot));
  const variable = (c: Written): string => `@pq${c.slot}`;

  const now = Date.now();
  const createdAt = new Date(now);
  // offset = how many messages of the same conversation follow this one in the batch.
  const placed = new Map<number, number>();
  const offsets: number[] = [];
  const tuples: string[] = [];
  const values: unknown[] = [];
  // message_files rows of the file and image messages (who may download what: common/src/files).
  const fileTuples: string[] = [];
  const fileValues: unknown[] = [];
  for (const i of accepted) {
    const cmd = cmds[i] as SendCommand;
    const target = targets.get(i) as Target;
    const written = byId.get(target.conversationId) as Written;
    const k = (placed.get(written.id) ?? 0) + 1;
    placed.set(written.id, k);
    const offset = written.count - k;
    offsets.push(offset);
    const v = variable(written);
    // The offset is a number we computed: inlined, it keeps the placeholders to the values.
    tuples.push(`(IF(${v} IS NULL, NULL, ?), ${v} - ${offset}, ?, ?, ?, ?, ?, ?)`);
    values.push(written.id, cmd.senderUid, cmd.clientMsgId, cmd.type, cmd.body, cmd.fileId ?? null, createdAt);
    if (cmd.fileId !== undefined) {
      fileTuples.push(`(?, ?, ${v} - ${offset})`);
      fileValues.push(cmd.fileId, written.id);
    }
  }
  // The reservation, in UPDATEs of at most RESERVE_CHUNK conversations each (ascending, as the ids).
  const args: unknown[] = [];
  const updates: string[] = [];
  for (let at = 0; at < conversations.length; at += RESERVE_CHUNK) {
    const chunk = conversations.slice(at, at + RESERVE_CHUNK);
    for (const c of chunk) args.push(c.id, c.count);
    args.push(chunk.map((c) => c.id));
    for (const c of chunk) args.push(c.id, c.epoch);
    const seqCases = chunk.map((c) => `WHEN ? THEN ${variable(c)} := max_seq + ?`).join(' ');
    const epochCases = chunk.map(() => 'WHEN ? THEN ?').join(' ');
    updates.push(`UPDATE conversations SET max_seq = CASE id ${seqCases} END WHERE id IN (?) AND post_epoch = CASE id ${epochCases} END ORDER BY id;`);
  }
  args.push(...values, ...fileValues);
  const filesSql = fileTuples.length > 0 ? `INSERT INTO message_files (file_id, conversation_id, seq) VALUES ${fileTuples.join(', ')};` : '';
  const groupIds = [...groups];
  let membersSql = '';
  if (groupIds.length > 0) {
    membersSql = 'SELECT conversation_id, user_id FROM conversation_members WHERE conversation_id IN (?) AND left_seq IS NULL;';
    args.push(groupIds);
  }

  let results: unknown[];
  try {
    [results] = (await conn.query(
      `SET ${conversations.map((c) => `${variable(c)} = NULL`).join(', ')};
       SET TRANSACTION ISOLATION LEVEL READ COMMITTED;
       START TRANSACTION;
       ${updates.join('\n       ')}
       INSERT INTO messages (conversation_id, seq, sender_uid, client_msg_id, type, body, file_id, created_at) VALUES ${tuples.join(', ')};
       ${filesSql}
       SELECT ${conversations.map(variable).join(', ')};
       ${membersSql}
       COMMIT`,
      args,
    )) as unknown as [unknown[]];
  } catch (err) {
    // A connection that cannot even roll back is dropped: a transaction left open on it would be
    // committed by the next START TRANSACTION.
    await conn.query('ROLLBACK').catch(() => conn.destroy());
    throw err;
  }

  // Results: the two SETs, START TRANSACTION, one per UPDATE, the INSERT, [message_files,] the read-back, the members.
  let updated = 0;
  for (let u = 0; u < updates.length; u++) updated += (results[3 + u] as ResultSetHeader).affectedRows;
  const inserted = (results[3 + updates.length] as ResultSetHeader).affectedRows;
  const readAt = 4 + updates.length + (filesSql ? 1 : 0);
  const readBack = (results[readAt] as RowDataPacket[])[0] as RowDataPacket;
  const maxima = new Map<number, number>();
  for (const c of conversations) {
    const value = readBack[variable(c)] as unknown;
    if (value !== null && value !== undefined) maxima.set(c.id, Number(value));
  }
  if (inserted !== accepted.length || updated !== conversations.length || maxima.size !== conversations.length) {
    // Cannot happen (a conversation not updated fails the INSERT); never ack what we cannot vouch for.
    throw new Error(`message batch wrote ${inserted} of ${accepted.length} rows in ${updated} (${maxima.size} read back) of ${conversations.length} conversations`);
  }
  const members = new Map<number, number[]>();
  if (groupIds.length > 0) {
    for (const row of results[readAt + 1] as RowDataPacket[]) {
      const id = Number(row.conversation_id);
      const list = members.get(id);
      if (list) list.push(Number(row.user_id));
      else members.set(id, [Number(row.user_id)]);
    }
  }
  // One recipient list per (group, sender), shared by that sender's messages of the batch.
  const groupRecipients = new Map<string, number[]>();
  accepted.forEach((i, n) => {
    const cmd = cmds[i] as SendCommand;
    const target = targets.get(i) as Target;
    const seq = (maxima.get(target.conversationId) as number) - (offsets[n] as number);
    let recipients: readonly number[];
    if (target.kind === 'direct') {
      recipients = [target.peer];
    } else {
      const key = `${target.conversationId}:${cmd.senderUid}`;
      let list = groupRecipients.get(key);
      if (!list) {
        list = (members.get(target.conversationId) ?? []).filter((uid) => uid !== cmd.senderUid);
        groupRecipients.set(key, list);
      }
      recipients = list;
    }
    outcomes[i] = {
      message: { conversationId: target.conversationId, seq, senderUid: cmd.senderUid, clientMsgId: cmd.clientMsgId, type: cmd.type, body: cmd.body, serverTime: now },
      duplicate: false,
      recipients,
    };
  });
}
