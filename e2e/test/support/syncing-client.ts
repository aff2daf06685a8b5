import { ChatClient, MsgId, type ChatMessage } from '@parley/protocol';
import type { ChatEndpoint } from '../../src/cluster';
import { waitFor, type TestUser } from './chat-fixtures';

/**
 * A client that follows the seq-sync model of docs/protocol.md the way a real app must: per
 * conversation it keeps the highest seq it holds without gaps, accepts a push only when it is the
 * next seq, pulls on a gap, drops duplicates, and syncs + pulls after every (re)connect. What the
 * "app" saw is `delivered`: tests assert every message arrives exactly once, in seq order.
 */
export class SyncingClient {
  client: ChatClient | undefined;
  readonly delivered = new Map<number, ChatMessage[]>();
  readonly last = new Map<number, number>();
  /** Pushes that arrived as duplicates or out of order (dropped or answered with a pull). */
  droppedPushes = 0;
  kicked = false;
  reconnectAsked = false;
  private readonly pulls = new Map<number, Promise<void>>();
  /** Highest seq any push announced, so a push dropped during a pull is fetched by that pull. */
  private readonly seen = new Map<number, number>();

  constructor(readonly user: TestUser) {}

  /** Connects to `endpoint`, logs in, then catches up with sync + pull. */
  async connect(endpoint: ChatEndpoint): Promise<void> {
    const client = new ChatClient({ defaultTimeoutMs: 5000 });
    client.on('push', (id, msg) => {
      if (id === MsgId.MessagePush) this.onPush(msg as ChatMessage);
      if (id === MsgId.Kick) this.kicked = true;
      if (id === MsgId.Reconnect) this.reconnectAsked = true;
    });
    this.client = client;
    await client.connect(endpoint.host, endpoint.tcpPort);
    await client.login(this.user.uid, this.user.token);
    await this.catchUp();
  }

  async catchUp(): Promise<void> {
    const client = this.requireClient();
    const resp = await client.sync();
    await Promise.all(
      resp.conversations.filter((c) => c.maxSeq > (this.last.get(c.conversationId) ?? 0)).map((c) => this.pull(c.conversationId)),
    );
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

  private onPush(m: ChatMessage): void {
    const last = this.last.get(m.conversationId) ?? 0;
    this.seen.set(m.conversationId, Math.max(m.seq, this.seen.get(m.conversationId) ?? 0));
    if (m.seq === last + 1 && !this.pulls.has(m.conversationId)) {
      this.accept(m);
      this.requireClient().ackDelivered(m.conversationId, m.seq);
      return;
    }
    this.droppedPushes++;
    if (m.seq > last + 1) void this.pull(m.conversationId).catch(() => undefined);
  }

  /** Pages forward from the local seq until hasMore is false; one pull per conversation at a time. */
  private pull(conversationId: number): Promise<void> {
    const running = this.pulls.get(conversationId);
    if (running) return running.then(() => this.pull(conversationId));
    const job = (async () => {
      const client = this.requireClient();
      for (let empty = 0; empty < 50; ) {
        const page = await client.pull(conversationId, this.last.get(conversationId) ?? 0, 50);
        // A pull returns exactly what this user may read after afterSeq, without gaps; its first seq
        // is above afterSeq + 1 only where the user joined later (a group's join seq).
        for (const m of page.messages) {
          if (m.seq > (this.last.get(conversationId) ?? 0)) this.accept(m);
        }
        const last = this.last.get(conversationId) ?? 0;
        if (last > 0) client.ackDelivered(conversationId, last);
        if (!page.hasMore && (this.seen.get(conversationId) ?? 0) <= last) return;
        if (page.messages.length === 0) {
          empty++;
          await new Promise((r) => setTimeout(r, 20));
        }
      }
    })().finally(() => this.pulls.delete(conversationId));
    this.pulls.set(conversationId, job);
    return job;
  }

  private accept(m: ChatMessage): void {
    let list = this.delivered.get(m.conversationId);
    if (!list) {
      list = [];
      this.delivered.set(m.conversationId, list);
    }
    list.push(m);
    this.last.set(m.conversationId, m.seq);
  }
}
