import type { ChatMessage, SyncResp } from '@parley/protocol/codec';
import type { ConversationView, MessageView } from './client-api';
import type { LocalStore, StoredConversation } from './store/local-store';
import { byLastActivity, conversationView, messageView, type ConversationLookups } from './views';

/**
 * The conversations this device knows, in memory for the UI's synchronous reads and written through
 * to the store: kind and peer/group (from SyncResp), maxSeq, the read position, last activity and the
 * last message.
 */
export class ConversationBook {
  private readonly convs = new Map<number, StoredConversation>();
  private readonly lastMessages = new Map<number, MessageView>();

  constructor(private readonly store: LocalStore) {}

  async load(myUid: number | undefined): Promise<void> {
    this.clear();
    for (const c of await this.store.loadConversations()) this.convs.set(c.conversationId, c);
    for (const id of this.convs.keys()) {
      const [last] = await this.store.loadMessages(id, undefined, 1);
      if (last) this.lastMessages.set(id, messageView(last, myUid));
    }
  }

  has(conversationId: number): boolean {
    return this.convs.has(conversationId);
  }

  clear(): void {
    this.convs.clear();
    this.lastMessages.clear();
  }

  views(lookups: Omit<ConversationLookups, 'lastMessage'>): ConversationView[] {
    const all = { ...lookups, lastMessage: (id: number) => this.lastMessages.get(id) };
    return [...this.convs.values()].map((c) => conversationView(c, all)).sort(byLastActivity);
  }

  /** The server's view after SyncReq: kinds, peers, groups, maxSeq; read positions only move forward. */
  applySync(resp: SyncResp): void {
    for (const s of resp.conversations) {
      const known = this.convs.get(s.conversationId);
      const conv: StoredConversation = {
        conversationId: s.conversationId,
        kind: s.kind,
        maxSeq: Math.max(s.maxSeq, known?.maxSeq ?? 0),
        readSeq: Math.max(s.ackedSeq, known?.readSeq ?? 0),
        lastActivityMs: known?.lastActivityMs ?? 0,
      };
      if (s.peerUid !== undefined) conv.peerUid = s.peerUid;
      if (s.groupId !== undefined) conv.groupId = s.groupId;
      if (s.left) conv.left = true;
      this.save(conv);
    }
  }

  /**
   * Messages accepted by sync. Returns whether the conversation was new (its kind is a guess until
   * the next SyncResp) and the read position when the user's own message moved it (writing in a
   * conversation means having read it).
   */
  record(conversationId: number, messages: ChatMessage[], myUid: number | undefined, peerGuess: number | undefined): { isNew: boolean; readTo?: number } {
    const last = messages[messages.length - 1];
    if (!last) return { isNew: false };
    let conv = this.convs.get(conversationId);
    const isNew = conv === undefined;
    if (!conv) {
      conv = { conversationId, kind: 'direct', maxSeq: 0, readSeq: 0, lastActivityMs: 0 };
      if (peerGuess !== undefined) conv.peerUid = peerGuess;
    }
    conv.maxSeq = Math.max(conv.maxSeq, last.seq);
    conv.lastActivityMs = Math.max(conv.lastActivityMs, last.serverTime);
    const mine = messages.filter((m) => m.senderUid === myUid).at(-1);
    let readTo: number | undefined;
    if (mine && mine.seq > conv.readSeq) {
      conv.readSeq = mine.seq;
      readTo = mine.seq;
    }
    this.save(conv);
    this.lastMessages.set(conversationId, messageView(last, myUid));
    return readTo === undefined ? { isNew } : { isNew, readTo };
  }

  /** Moves the read position to `seq`; false when it was there already. */
  markRead(conversationId: number, seq: number): boolean {
    const conv = this.convs.get(conversationId);
    if (!conv || seq <= conv.readSeq) return false;
    conv.readSeq = seq;
    this.save(conv);
    return true;
  }

  private save(conv: StoredConversation): void {
    this.convs.set(conv.conversationId, conv);
    void this.store.putConversation({ ...conv });
  }
}
