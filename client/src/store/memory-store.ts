import type { ChatMessage } from '@parley/protocol/codec';
import type { LocalStore, OutboxEntry, SavedSession, StoredConversation } from './local-store';

const clone = <T>(value: T): T => structuredClone(value);

/** Everything a MemoryStore holds, as plain JSON (what the JSON-file store writes). */
export interface MemorySnapshot {
  session?: SavedSession;
  conversations: StoredConversation[];
  positions: [number, number][];
  messages: ChatMessage[];
  outbox: OutboxEntry[];
}

/**
 * LocalStore in memory, for Node tests and the CLI. Values are copied in and out so callers cannot
 * change stored data by holding a reference, as with a real database.
 */
export class MemoryStore implements LocalStore {
  private session: SavedSession | undefined;
  private readonly conversations = new Map<number, StoredConversation>();
  private readonly positions = new Map<number, number>();
  /** Per conversation, seq → message. */
  private readonly messages = new Map<number, Map<number, ChatMessage>>();
  private readonly outbox = new Map<string, OutboxEntry>();

  snapshot(): MemorySnapshot {
    const snap: MemorySnapshot = {
      conversations: [...this.conversations.values()],
      positions: [...this.positions.entries()],
      messages: [...this.messages.values()].flatMap((bySeq) => [...bySeq.values()]),
      outbox: [...this.outbox.values()],
    };
    if (this.session) snap.session = this.session;
    return clone(snap);
  }

  /** Replaces the contents (the JSON-file store loading its file); calls no overridable method. */
  protected restore(snap: MemorySnapshot): void {
    this.session = clone(snap.session);
    for (const c of snap.conversations) this.conversations.set(c.conversationId, clone(c));
    for (const [id, seq] of snap.positions) this.positions.set(id, seq);
    this.addMessages(snap.messages);
    for (const e of snap.outbox) this.outbox.set(e.clientMsgId, clone(e));
  }

  private addMessages(messages: ChatMessage[]): void {
    for (const m of messages) {
      let bySeq = this.messages.get(m.conversationId);
      if (!bySeq) {
        bySeq = new Map();
        this.messages.set(m.conversationId, bySeq);
      }
      bySeq.set(m.seq, clone(m));
    }
  }

  loadSession(): Promise<SavedSession | undefined> {
    return Promise.resolve(clone(this.session));
  }

  saveSession(session: SavedSession | undefined): Promise<void> {
    this.session = clone(session);
    return Promise.resolve();
  }

  loadConversations(): Promise<StoredConversation[]> {
    return Promise.resolve([...this.conversations.values()].map(clone));
  }

  putConversation(conversation: StoredConversation): Promise<void> {
    this.conversations.set(conversation.conversationId, clone(conversation));
    return Promise.resolve();
  }

  loadPositions(): Promise<Map<number, number>> {
    return Promise.resolve(new Map(this.positions));
  }

  putPosition(conversationId: number, seq: number): Promise<void> {
    this.positions.set(conversationId, seq);
    return Promise.resolve();
  }

  putMessages(messages: ChatMessage[]): Promise<void> {
    this.addMessages(messages);
    return Promise.resolve();
  }

  loadMessages(conversationId: number, beforeSeq: number | undefined, limit: number): Promise<ChatMessage[]> {
    const all = [...(this.messages.get(conversationId)?.values() ?? [])]
      .filter((m) => beforeSeq === undefined || m.seq < beforeSeq)
      .sort((a, b) => a.seq - b.seq);
    return Promise.resolve(all.slice(Math.max(0, all.length - limit)).map(clone));
  }

  loadOutbox(): Promise<OutboxEntry[]> {
    return Promise.resolve([...this.outbox.values()].map(clone));
  }

  putOutbox(entry: OutboxEntry): Promise<void> {
    this.outbox.set(entry.clientMsgId, clone(entry));
    return Promise.resolve();
  }

  deleteOutbox(clientMsgId: string): Promise<void> {
    this.outbox.delete(clientMsgId);
    return Promise.resolve();
  }

  clear(): Promise<void> {
    this.session = undefined;
    this.conversations.clear();
    this.positions.clear();
    this.messages.clear();
    this.outbox.clear();
    return Promise.resolve();
  }
}
