import { ChatClient, MsgId, type ChatMessage } from '@parley/protocol';
import { SeqSync } from '@parley/client';
import type { ChatEndpoint } from '../../src/cluster';
import { waitFor, type TestUser } from './chat-fixtures';

/**
 * A test client that follows the seq-sync model with the client core's own SeqSync (@parley/client), so
 * the tests exercise the real thing: per conversation the highest gap-free seq, pushes accepted only
 * when next, pulls on a gap, duplicates dropped, sync + pull after every (re)connect. It acks delivery
 * of everything it accepts. What the "app" saw is `delivered`: tests assert every message arrives
 * exactly once, in seq order.
 */
export class SyncingClient {
  client: ChatClient | undefined;
  readonly delivered = new Map<number, ChatMessage[]>();
  readonly last = new Map<number, number>();
  kicked = false;
  reconnectAsked = false;
  private readonly sync: SeqSync;

  constructor(readonly user: TestUser) {
    this.sync = new SeqSync({
      pull: (conversationId, afterSeq) => this.requireClient().pull(conversationId, afterSeq, 50),
      deliver: (conversationId, messages) => this.accept(conversationId, messages),
    });
  }

  /** Pushes that arrived as duplicates or out of order (dropped or answered with a pull). */
  get droppedPushes(): number {
    return this.sync.droppedPushes;
  }

  /** Connects to `endpoint`, logs in, then catches up with sync + pull. */
  async connect(endpoint: ChatEndpoint): Promise<void> {
    const client = new ChatClient({ defaultTimeoutMs: 5000 });
    client.on('push', (id, msg) => {
      if (id === MsgId.MessagePush) this.sync.onPush(msg as ChatMessage);
      if (id === MsgId.Kick) this.kicked = true;
      if (id === MsgId.Reconnect) this.reconnectAsked = true;
    });
    this.client = client;
    await client.connect(endpoint.host, endpoint.tcpPort);
    await client.login(this.user.uid, this.user.token);
    await this.catchUp();
  }

  async catchUp(): Promise<void> {
    const resp = await this.requireClient().sync();
    await this.sync.catchUp(resp.conversations);
  }

  messages(conversationId: number): ChatMessage[] {
    return this.delivered.get(conversationId) ?? [];
  }

  waitForSeq(conversationId: number, seq: number, timeoutMs = 10000): Promise<true> {
    return waitFor(() => (this.last.get(conversationId) ?? 0) >= seq || undefined, timeoutMs, `conversation ${conversationId} seq ${seq} (have ${this.last.get(conversationId) ?? 0})`);
  }

  async close(): Promise<void> {
    await this.client?.close();
  }

  destroy(): void {
    this.client?.destroy();
  }

  private requireClient(): ChatClient {
    if (!this.client) throw new Error('not connected');
    return this.client;
  }

  private accept(conversationId: number, messages: ChatMessage[]): void {
    let list = this.delivered.get(conversationId);
    if (!list) {
      list = [];
      this.delivered.set(conversationId, list);
    }
    list.push(...messages);
    const last = messages[messages.length - 1];
    if (!last) return;
    this.last.set(conversationId, last.seq);
    try {
      this.client?.ackDelivered(conversationId, last.seq);
    } catch {
      // Closed meanwhile: the next connection's sync covers it.
    }
  }
}
