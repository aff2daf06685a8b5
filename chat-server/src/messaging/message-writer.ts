import type { PoolConnection, ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import type { Outcome, SendCommand, Target } from './send-command';
import { derivedRows } from './sql-rows';

/** How a send reached its conversation; the INSERT checks each kind its own way. */
const VIA_TO = 0;
const VIA_DIRECT_ID = 1;
const VIA_GROUP_ID = 2;

/**
 * Writes the accepted sends of a batch in ONE round trip, one READ COMMITTED transaction:
 *
 * 1. a single UPDATE reserves every conversation's seqs (rows locked in ascending id order, so
 *    servers never deadlock on them);
 * 2. one INSERT … SELECT stores every message with seq = the conversation's new max_seq minus its
 *    offset in the batch, and re-checks what authorizes it in the same statement: a direct send
 *    takes its conversation from the friendship row (and, addressed by id, needs the sender's
 *    membership) and no block between the two (two primary-key probes of `blocks`); a group send
 *    needs the sender's current membership. Without them the value is NULL and the INSERT fails:
 *    nothing is stored after an unfriend, a block or a removal has committed;
 * 3. the new maxima are read back (our own locked rows), and the current members of the groups
 *    written to — read under the row lock every membership change also takes, so they are exactly
 *    the members at these seqs;
 * 4. COMMIT.
 *
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
  const counts = new Map<number, number>();
  const groups = new Set<number>();
  for (const i of accepted) {
    const target = targets.get(i) as Target;
    counts.set(target.conversationId, (counts.get(target.conversationId) ?? 0) + 1);
    if (target.kind === 'group') groups.add(target.conversationId);
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
    const target = targets.get(i) as Target;
    const k = (placed.get(target.conversationId) ?? 0) + 1;
    placed.set(target.conversationId, k);
    const offset = (counts.get(target.conversationId) as number) - k;
    offsets.push(offset);
    const via = target.kind === 'group' ? VIA_GROUP_ID : cmd.to !== undefined ? VIA_TO : VIA_DIRECT_ID;
    const peer = target.kind === 'direct' ? target.peer : 0;
    rows.push([target.conversationId, offset, cmd.senderUid, peer, via, cmd.clientMsgId, cmd.type, cmd.body, cmd.fileId ?? null, createdAt]);
  }
  const values = derivedRows(['c', 'o', 's', 'f', 'k', 'm', 't', 'b', 'fi', 'a'], rows);
  const groupIds = [...groups];
  const membersSql = groupIds.length > 0 ? 'SELECT conversation_id, user_id FROM conversation_members WHERE conversation_id IN (?) AND left_seq IS NULL;' : '';

  let results: unknown[];
  try {
    [results] = (await conn.query(
      `SET TRANSACTION ISOLATION LEVEL READ COMMITTED;
       START TRANSACTION;
       UPDATE conversations SET max_seq = max_seq + CASE id ${cases} END WHERE id IN (?) ORDER BY id;
       INSERT INTO messages (conversation_id, seq, sender_uid, client_msg_id, type, body, file_id, created_at)
         SELECT CASE g.k WHEN ${VIA_TO} THEN IF(b1.blocker_uid IS NULL AND b2.blocker_uid IS NULL, fs.conversation_id, NULL)
                         WHEN ${VIA_DIRECT_ID} THEN IF(cm.user_id IS NULL OR b1.blocker_uid IS NOT NULL OR b2.blocker_uid IS NOT NULL, NULL, fs.conversation_id)
                         ELSE IF(cm.user_id IS NULL, NULL, g.c) END,
                cv.max_seq - g.o, g.s, g.m, g.t, g.b, g.fi, g.a
           FROM (${values.sql}) g
           LEFT JOIN friendships fs ON g.k < ${VIA_GROUP_ID} AND fs.user_id = g.s AND fs.friend_id = g.f AND fs.conversation_id = g.c
           LEFT JOIN conversation_members cm ON g.k > ${VIA_TO} AND cm.conversation_id = g.c AND cm.user_id = g.s AND cm.left_seq IS NULL
           LEFT JOIN blocks b1 ON g.k < ${VIA_GROUP_ID} AND b1.blocker_uid = g.f AND b1.blocked_uid = g.s
           LEFT JOIN blocks b2 ON g.k < ${VIA_GROUP_ID} AND b2.blocker_uid = g.s AND b2.blocked_uid = g.f
           LEFT JOIN conversations cv ON cv.id = g.c;
       SELECT id, max_seq FROM conversations WHERE id IN (?);
       ${membersSql}
       COMMIT`,
      groupIds.length > 0 ? [...caseArgs, ids, ...values.args, ids, groupIds] : [...caseArgs, ids, ...values.args, ids],
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
  const members = new Map<number, number[]>();
  if (groupIds.length > 0) {
    for (const row of results[5] as RowDataPacket[]) {
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
