import type { PoolConnection, RowDataPacket } from 'mysql2/promise';
import { ParleyError } from '@parley/common';
import { toMessage, type MessageRow } from './message-row';
import { addressKey, idempotencyKey, type Outcome, type SendCommand, type Target } from './send-command';
import { derivedRows } from './sql-rows';

/** Remembered targets (per sender and address) beyond this many are forgotten at once. */
const TARGET_CACHE_MAX = 200_000;

/** A stored message found for the batch entry `i`. */
interface StoredRow extends MessageRow {
  i: number;
}

/** What one careful read found out about a batch. */
export interface BatchReading {
  /** Sends that repeat an earlier send of the batch: index → index of the first. */
  repeats: Map<number, number>;
  /** Sends that are neither stored nor repeats, in batch order. */
  fresh: number[];
  /** Where each authorized fresh send goes; refused ones have their outcome set instead. */
  targets: Map<number, Target>;
}

/** A conversation addressed by id, as seen by one sender. */
interface AddressedConversation {
  kind: 'direct' | 'group';
  /** The sender is a current member. */
  member: boolean;
  /** In a direct conversation: the friend whose friendship row names it, if it still exists. */
  friend: number | undefined;
  /** In a direct conversation: one member has blocked the other. */
  blocked: boolean;
  /** The conversation's post_epoch, read in the same statement as the rest. */
  epoch: number;
}

const REFUSED_NOT_MEMBER = (): ParleyError => new ParleyError('NOT_MEMBER', 'You are not a member of this conversation');

/**
 * Decides which sends of a batch are new and where each may go. Remembers the targets it
 * authorized (per `sender>to` / `sender@conversation`) so later batches to them can skip the reads
 * (the fast path): that memory only chooses the path — every write checks, under the
 * conversation's row lock, that its post_epoch is still the one read with the authorization
 * (db/post-epoch.ts), and a stale memory makes that write fail and the batch come back here.
 */
export class SendAuthorizer {
  private readonly remembered = new Map<string, Target>();

  /**
   * The targets of a batch whose sends all go to remembered targets and that holds no repeated
   * clientMsgId; undefined otherwise (the careful path handles it).
   */
  knownTargets(cmds: readonly SendCommand[]): Map<number, Target> | undefined {
    const targets = new Map<number, Target>();
    const keys = new Set<string>();
    for (let i = 0; i < cmds.length; i++) {
      const cmd = cmds[i] as SendCommand;
      const known = this.remembered.get(addressKey(cmd));
      if (known === undefined) return undefined;
      const key = idempotencyKey(cmd);
      if (keys.has(key)) return undefined;
      keys.add(key);
      targets.set(i, known);
    }
    return targets;
  }

  /**
   * One round trip of SELECTs (outside any transaction; each sees what was committed when it
   * ran, as READ COMMITTED would): the sends already stored (their outcome = the stored message),
   * the sender's membership of each conversation addressed by id, and the friendships that
   * authorize the rest. Refusals are written into `outcomes`.
   */
  async read(conn: PoolConnection, cmds: readonly SendCommand[], outcomes: (Outcome | undefined)[]): Promise<BatchReading> {
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

    // Conversations addressed by id: their kind, the sender's current membership and, for a direct
    // one, the friendship row that names it (its friend is the peer).
    const bySenderConversation = new Map<string, [number, number]>();
    for (const c of cmds) if (c.conversationId !== undefined) bySenderConversation.set(`${c.senderUid}@${c.conversationId}`, [c.senderUid, c.conversationId]);
    if (bySenderConversation.size > 0) {
      const wanted = derivedRows(['u', 'v'], [...bySenderConversation.values()]);
      statements.push(
        `SELECT p.u, p.v, c.kind, c.post_epoch, cm.user_id AS member, fs.friend_id,
                c.kind = 'direct' AND EXISTS (SELECT 1 FROM conversation_members o JOIN blocks b
                   ON (b.blocker_uid = o.user_id AND b.blocked_uid = p.u) OR (b.blocker_uid = p.u AND b.blocked_uid = o.user_id)
                  WHERE o.conversation_id = p.v AND o.user_id <> p.u) AS blocked
           FROM (${wanted.sql}) p
           JOIN conversations c ON c.id = p.v
           LEFT JOIN conversation_members cm ON cm.conversation_id = p.v AND cm.user_id = p.u AND cm.left_seq IS NULL
           LEFT JOIN friendships fs ON c.kind = 'direct' AND fs.user_id = p.u AND fs.conversation_id = p.v`,
      );
      args.push(...wanted.args);
    }
    // Explicit `to`: the friendship gives the conversation. A join with a derived table makes these
    // point lookups, where a long (a, b) IN list makes the optimizer crawl.
    const pairs = new Map<string, [number, number]>();
    for (const c of cmds) if (c.to !== undefined) pairs.set(`${c.senderUid}>${c.to}`, [c.senderUid, c.to]);
    if (pairs.size > 0) {
      const wanted = derivedRows(['u', 'f'], [...pairs.values()]);
      statements.push(
        `SELECT p.u AS user_id, p.f AS friend_id, fs.conversation_id, c.post_epoch,
                EXISTS (SELECT 1 FROM blocks b WHERE (b.blocker_uid = p.f AND b.blocked_uid = p.u) OR (b.blocker_uid = p.u AND b.blocked_uid = p.f)) AS blocked
           FROM (${wanted.sql}) p LEFT JOIN friendships fs ON fs.user_id = p.u AND fs.friend_id = p.f
           LEFT JOIN conversations c ON c.id = fs.conversation_id`,
      );
      args.push(...wanted.args);
    }

    const [raw] = await conn.query(statements.join(';\n'), args);
    // One statement answers its rows; several answer one result per statement.
    const results = (statements.length === 1 ? [raw] : raw) as RowDataPacket[][];
    let next = 0;
    const storedRows = results[next++] as StoredRow[];
    const addressedRows = bySenderConversation.size > 0 ? (results[next++] as RowDataPacket[]) : [];
    const friendRows = pairs.size > 0 ? (results[next++] as RowDataPacket[]) : [];

    for (const row of storedRows) outcomes[Number(row.i)] = { message: toMessage(row), duplicate: true, recipients: [] };
    // A repeat of a stored message is itself stored: report it as such, not as a repeat.
    for (const i of repeats.keys()) if (outcomes[i] !== undefined) repeats.delete(i);
    const fresh: number[] = [];
    cmds.forEach((_, i) => {
      if (outcomes[i] === undefined && !repeats.has(i)) fresh.push(i);
    });

    const addressed = new Map<string, AddressedConversation>();
    for (const row of addressedRows) {
      addressed.set(`${Number(row.u)}@${Number(row.v)}`, {
        kind: row.kind === 'group' ? 'group' : 'direct',
        member: row.member !== null && row.member !== undefined,
        friend: row.friend_id === null || row.friend_id === undefined ? undefined : Number(row.friend_id),
        blocked: Number(row.blocked) === 1,
        epoch: Number(row.post_epoch),
      });
    }
    // A blocked pair is never friends (blocking unfriends); BLOCKED says why rather than NOT_FRIENDS.
    const friendships = new Map<string, { conversationId: number; epoch: number } | 'blocked'>();
    for (const row of friendRows) {
      const key = `${Number(row.user_id)}>${Number(row.friend_id)}`;
      if (Number(row.blocked) === 1) friendships.set(key, 'blocked');
      else if (row.conversation_id !== null) friendships.set(key, { conversationId: Number(row.conversation_id), epoch: Number(row.post_epoch) });
    }

    const targets = new Map<number, Target>();
    for (const i of fresh) {
      const cmd = cmds[i] as SendCommand;
      const key = addressKey(cmd);
      const target = decide(cmd, key, addressed, friendships);
      if (target instanceof ParleyError) {
        outcomes[i] = target;
        this.remembered.delete(key);
      } else {
        targets.set(i, target);
        if (this.remembered.size >= TARGET_CACHE_MAX) this.remembered.clear();
        this.remembered.set(key, target);
      }
    }
    return { repeats, fresh, targets };
  }
}

/**
 * `to`: the friendship row gives the conversation (else NOT_FRIENDS). A conversation id: the
 * sender must be a current member (else NOT_MEMBER, also when it does not exist), and in a direct
 * conversation still a friend of the other member (else NOT_FRIENDS).
 */
function decide(cmd: SendCommand, key: string, addressed: Map<string, AddressedConversation>, friendships: Map<string, { conversationId: number; epoch: number } | 'blocked'>): Target | ParleyError {
  if (cmd.to !== undefined) {
    const friendship = friendships.get(key);
    if (friendship === 'blocked') return new ParleyError('BLOCKED');
    return friendship === undefined ? new ParleyError('NOT_FRIENDS') : { ...friendship, kind: 'direct', peer: cmd.to };
  }
  const conversationId = cmd.conversationId as number;
  const conv = addressed.get(key);
  if (!conv || !conv.member) return REFUSED_NOT_MEMBER();
  if (conv.kind === 'group') return { conversationId, epoch: conv.epoch, kind: 'group' };
  if (conv.blocked) return new ParleyError('BLOCKED');
  return conv.friend === undefined ? new ParleyError('NOT_FRIENDS') : { conversationId, epoch: conv.epoch, kind: 'direct', peer: conv.friend };
}
