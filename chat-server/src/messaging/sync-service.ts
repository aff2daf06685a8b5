import type { RowDataPacket } from 'mysql2/promise';
import { ParleyError, type MysqlPool } from '@parley/common';
import {
  DEFAULT_HISTORY_LIMIT,
  DEFAULT_PULL_LIMIT,
  type ChatMessage,
  type ConversationState,
  type HistoryReq,
  type HistoryResp,
  type PullReq,
  type PullResp,
  type SyncReq,
  type SyncResp,
} from '@parley/protocol';
import { MESSAGE_COLUMNS, toMessage, type MessageRow } from './message-row';
import type { RequestContext } from '../session/request-context';

/**
 * Worst-case JSON bytes of a page. The client accepts 16 MiB frames; a page stops growing once
 * its worst case passes this, so even bodies made entirely of escaped characters fit.
 */
export const PAGE_BUDGET_BYTES = 12 * 1024 * 1024;

/** Upper bound of a message's JSON size: each UTF-16 unit is at most 6 bytes once escaped. */
function worstCaseBytes(m: ChatMessage): number {
  return 6 * (m.body.length + m.clientMsgId.length) + 200;
}

/** Keeps messages (in the given order) while the page's worst case fits the budget; at least one. */
function trimToBudget(messages: ChatMessage[]): { kept: ChatMessage[]; trimmed: boolean } {
  let total = 0;
  for (let i = 0; i < messages.length; i++) {
    total += worstCaseBytes(messages[i] as ChatMessage);
    if (total > PAGE_BUDGET_BYTES && i > 0) return { kept: messages.slice(0, i), trimmed: true };
  }
  return { kept: messages, trimmed: false };
}

/**
 * The seq-sync model's read side: SyncReq lists the user's conversations with maxSeq and ackedSeq,
 * PullReq pages forward from a seq, HistoryReq pages backward. Only members may read; a member
 * who joined a group late sees it from the seq they joined at, one who left up to the seq they
 * left at.
 */
export class SyncService {
  constructor(private readonly pool: MysqlPool) {}

  async sync(ctx: RequestContext, req: SyncReq): Promise<Omit<SyncResp, 'reqId'>> {
    const [rows] = await this.pool.query<RowDataPacket[]>(
      `SELECT c.id, c.kind, c.max_seq, cm.acked_seq, cm.left_seq, peer.user_id AS peer_uid, g.id AS group_id
         FROM conversation_members cm
         JOIN conversations c ON c.id = cm.conversation_id
         LEFT JOIN conversation_members peer
           ON c.kind = 'direct' AND peer.conversation_id = c.id AND peer.user_id <> cm.user_id
         LEFT JOIN chat_groups g ON c.kind = 'group' AND g.conversation_id = c.id
        WHERE cm.user_id = ?
        ORDER BY c.id`,
      [ctx.uid],
    );
    const have = new Map<number, number>();
    for (const h of req.have ?? []) have.set(h.conversationId, Math.max(h.seq, have.get(h.conversationId) ?? 0));
    const conversations: ConversationState[] = [];
    for (const row of rows) {
      const conversationId = Number(row.id);
      const left = row.left_seq !== null && row.left_seq !== undefined;
      // A member who left sees the conversation up to the seq they left at, never past it.
      const maxSeq = left ? Math.min(Number(row.max_seq), Number(row.left_seq)) : Number(row.max_seq);
      const known = have.get(conversationId);
      if (known !== undefined && maxSeq <= known) continue;
      const state: ConversationState = {
        conversationId,
        kind: row.kind === 'group' ? 'group' : 'direct',
        maxSeq,
        ackedSeq: Math.min(Number(row.acked_seq), maxSeq),
      };
      if (row.peer_uid !== null && row.peer_uid !== undefined) state.peerUid = Number(row.peer_uid);
      if (row.group_id !== null && row.group_id !== undefined) state.groupId = Number(row.group_id);
      if (left) state.left = true;
      conversations.push(state);
    }
    return { conversations };
  }

  async pull(ctx: RequestContext, req: PullReq): Promise<Omit<PullResp, 'reqId'>> {
    const { joinedSeq, lastSeq } = await this.membership(ctx.uid, req.conversationId);
    const limit = req.limit ?? DEFAULT_PULL_LIMIT;
    const [rows] = await this.pool.query<MessageRow[]>(
      `SELECT ${MESSAGE_COLUMNS} FROM messages WHERE conversation_id = ? AND seq > ? AND seq <= ? ORDER BY seq LIMIT ?`,
      [req.conversationId, Math.max(req.afterSeq, joinedSeq), lastSeq, limit + 1],
    );
    const all = rows.slice(0, limit).map(toMessage);
    const { kept, trimmed } = trimToBudget(all);
    return { conversationId: req.conversationId, messages: kept, hasMore: trimmed || rows.length > limit };
  }

  async history(ctx: RequestContext, req: HistoryReq): Promise<Omit<HistoryResp, 'reqId'>> {
    const { joinedSeq, lastSeq } = await this.membership(ctx.uid, req.conversationId);
    const limit = req.limit ?? DEFAULT_HISTORY_LIMIT;
    const before = Math.min(req.beforeSeq ?? Number.MAX_SAFE_INTEGER, lastSeq + 1);
    const [rows] = await this.pool.query<MessageRow[]>(
      `SELECT ${MESSAGE_COLUMNS} FROM messages WHERE conversation_id = ? AND seq < ? AND seq > ? ORDER BY seq DESC LIMIT ?`,
      [req.conversationId, before, joinedSeq, limit + 1],
    );
    const newestFirst = rows.slice(0, limit).map(toMessage);
    const { kept, trimmed } = trimToBudget(newestFirst);
    return { conversationId: req.conversationId, messages: kept.reverse(), hasMore: trimmed || rows.length > limit };
  }

  /**
   * The seqs a member may read: after `joinedSeq`, up to `lastSeq` (the seq they left at, or no
   * limit while they are a member). NOT_MEMBER when they never were one.
   */
  private async membership(uid: number, conversationId: number): Promise<{ joinedSeq: number; lastSeq: number }> {
    const [rows] = await this.pool.query<RowDataPacket[]>(
      'SELECT joined_seq, left_seq FROM conversation_members WHERE conversation_id = ? AND user_id = ?',
      [conversationId, uid],
    );
    const row = rows[0];
    if (!row) throw new ParleyError('NOT_MEMBER', 'You are not a member of this conversation');
    const left = row.left_seq === null || row.left_seq === undefined ? Number.MAX_SAFE_INTEGER : Number(row.left_seq);
    return { joinedSeq: Number(row.joined_seq), lastSeq: left };
  }
}
