import { MsgId, type ChatMessage, type SendAck } from '@parley/protocol/codec';
import type { MessageView } from './client-api';
import type { ConversationBook } from './conversation-book';
import type { Requester } from './directory';
import type { Emitter } from './events';
import { Outbox } from './outbox/outbox';
import type { LocalStore, OutboxEntry } from './store/local-store';
import { SeqSync } from './sync/seq-sync';
import { messageView, outboxView } from './views';

export interface MessageFlowDeps {
  store: LocalStore;
  emitter: Emitter;
  book: ConversationBook;
  request: Requester;
  myUid(): number | undefined;
  /** Who the peer of a conversation is, while SyncResp has not said (a friend's conversation id). */
  peerGuess(conversationId: number): number | undefined;
  /** DeliveredAck for the read position. */
  ackRead(conversationId: number, seq: number): void;
  /** SyncReq again (a conversation this device did not know). */
  resync(): void;
  emitConversations(): void;
}

/** Pulled pages: large enough to catch up quickly, small enough to stay far below the frame limit. */
const PULL_PAGE = 200;

/**
 * Messages in and out: seq sync for what arrives, the outbox for what is sent, and the bookkeeping
 * both share (the store, the conversation list, the `messages` and `incoming` events).
 */
export class MessageFlow {
  private sync: SeqSync;
  private outbox: Outbox;

  constructor(private readonly deps: MessageFlowDeps) {
    this.sync = this.newSync(new Map());
    this.outbox = this.newOutbox();
  }

  /** What this device kept: sync positions and the outbox (after an app restart). */
  async load(): Promise<void> {
    this.sync = this.newSync(await this.deps.store.loadPositions());
    this.outbox = this.newOutbox();
    await this.outbox.load();
  }

  position(conversationId: number): number {
    return this.sync.position(conversationId);
  }

  /** Queues a message in the outbox and shows it as 'sending'. */
  add(conversationId: number, type: OutboxEntry['type'], body: string, clientMsgId?: string): OutboxEntry {
    const entry = this.outbox.add(conversationId, type, body, clientMsgId);
    this.deps.emitter.emit('messages', { conversationId, messages: [outboxView(entry, this.deps.myUid() ?? 0)] });
    return entry;
  }

  retry(clientMsgId: string): void {
    this.outbox.retry(clientMsgId);
  }

  pending(conversationId?: number): MessageView[] {
    const uid = this.deps.myUid() ?? 0;
    return this.outbox.list(conversationId).map((e) => outboxView(e, uid));
  }

  onPush(message: ChatMessage): void {
    this.sync.onPush(message);
  }

  catchUp(states: { conversationId: number; maxSeq: number }[]): Promise<void> {
    return this.sync.catchUp(states);
  }

  setOnline(online: boolean): void {
    this.outbox.setOnline(online);
  }

  private newSync(positions: Map<number, number>): SeqSync {
    return new SeqSync(
      {
        pull: (conversationId, afterSeq) => this.deps.request(MsgId.PullReq, { conversationId, afterSeq, limit: PULL_PAGE }),
        deliver: (conversationId, messages) => this.deliver(conversationId, messages),
      },
      positions,
    );
  }

  private newOutbox(): Outbox {
    return new Outbox({
      store: this.deps.store,
      send: (e) => this.deps.request(MsgId.SendReq, { conversationId: e.conversationId, clientMsgId: e.clientMsgId, type: e.type, body: e.body }),
      onChange: (e) => this.deps.emitter.emit('messages', { conversationId: e.conversationId, messages: [outboxView(e, this.deps.myUid() ?? 0)] }),
      onAcked: (e, ack) => this.onAcked(e, ack),
    });
  }

  /** Stored and shown as 'sent' at once; sync counts it as received (the server does not push it back). */
  private onAcked(entry: OutboxEntry, ack: SendAck): void {
    const uid = this.deps.myUid() ?? 0;
    const message: ChatMessage = { conversationId: ack.conversationId, seq: ack.seq, senderUid: uid, clientMsgId: ack.clientMsgId, type: entry.type, body: entry.body, serverTime: ack.serverTime };
    void this.deps.store.putMessages([message]);
    this.deps.emitter.emit('messages', { conversationId: ack.conversationId, messages: [messageView(message, uid)] });
    this.sync.onOwnAck(message);
  }

  /** Messages sync accepted, in seq order without gaps. */
  private deliver(conversationId: number, messages: ChatMessage[]): void {
    const { store, book, emitter } = this.deps;
    const uid = this.deps.myUid();
    const last = messages[messages.length - 1];
    if (!last) return;
    void store.putMessages(messages);
    void store.putPosition(conversationId, last.seq);
    const { isNew, readTo } = book.record(conversationId, messages, uid, this.deps.peerGuess(conversationId));
    if (isNew) this.deps.resync();
    if (readTo !== undefined) this.deps.ackRead(conversationId, readTo);
    // A resend whose ack was lost comes back in a pull: nothing left to send.
    for (const m of messages) if (m.senderUid === uid) this.outbox.settle(m.clientMsgId);
    const views = messages.map((m) => messageView(m, uid));
    emitter.emit('messages', { conversationId, messages: views });
    for (const v of views) if (v.senderUid !== uid) emitter.emit('incoming', v);
    this.deps.emitConversations();
  }
}
