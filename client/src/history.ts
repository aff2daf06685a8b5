import { MAX_HISTORY_LIMIT, type ChatMessage, type HistoryResp } from '@parley/protocol/codec';
import type { HistoryPage, MessageView } from './client-api';
import type { LocalStore } from './store/local-store';
import { messageView } from './views';

export interface HistoryDeps {
  store: LocalStore;
  /** HistoryReq on the current connection; undefined while offline. */
  fetchOlder: ((conversationId: number, beforeSeq: number, limit: number) => Promise<HistoryResp>) | undefined;
  /** The sync position: everything up to it is in the store. */
  position: number;
  myUid: number | undefined;
  /** Messages still in the outbox (shown after the stored ones on the newest page). */
  pending: MessageView[];
}

/**
 * A page of a conversation, newest first when beforeSeq is undefined: from the store, and from the
 * server (HistoryReq, kept in the store) for what is older than anything this device holds.
 */
export async function historyPage(deps: HistoryDeps, conversationId: number, beforeSeq: number | undefined, limit: number): Promise<HistoryPage> {
  let stored: ChatMessage[] = await deps.store.loadMessages(conversationId, beforeSeq, limit);
  const oldest = stored[0]?.seq ?? beforeSeq ?? deps.position + 1;
  let serverHasMore = false;
  if (stored.length < limit && oldest > 1 && deps.fetchOlder) {
    const resp = await deps.fetchOlder(conversationId, oldest, Math.min(MAX_HISTORY_LIMIT, limit - stored.length));
    await deps.store.putMessages(resp.messages);
    stored = await deps.store.loadMessages(conversationId, beforeSeq, limit);
    serverHasMore = resp.hasMore;
  }
  const views = stored.map((m) => messageView(m, deps.myUid));
  // A group joined later starts above seq 1; only the server's hasMore tells then.
  const hasMore = serverHasMore || (deps.fetchOlder === undefined && (stored[0]?.seq ?? 1) > 1) || (stored.length >= limit && (stored[0]?.seq ?? 1) > 1);
  if (beforeSeq !== undefined) return { messages: views, hasMore };
  const held = new Set(views.map((v) => v.clientMsgId));
  return { messages: [...views, ...deps.pending.filter((p) => !held.has(p.clientMsgId))], hasMore };
}
