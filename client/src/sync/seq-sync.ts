import type { ChatMessage } from '@parley/protocol/codec';

export interface SeqSyncDeps {
  /** PullReq: messages after afterSeq, ascending, without gaps. */
  pull(conversationId: number, afterSeq: number): Promise<{ messages: ChatMessage[]; hasMore: boolean }>;
  /** Messages accepted in seq order without gaps (store them, show them). */
  deliver(conversationId: number, messages: ChatMessage[]): void;
}

/** How long an own SendAck above the gap-free run waits for the messages before it before a pull. */
const OWN_GAP_GRACE_MS = 300;
/** A pull that keeps coming back empty while a push announced more stops after this many tries. */
const MAX_EMPTY_PULLS = 50;
const EMPTY_PULL_PAUSE_MS = 20;

/**
 * The seq-sync model of docs/protocol.md, per conversation: keeps the highest seq held without gaps,
 * accepts a push only when it is the next seq, pulls on a gap, drops duplicates, counts the client's
 * own acked sends, and after each (re)connect pulls every conversation the server has more of.
 */
export class SeqSync {
  private readonly last: Map<number, number>;
  private readonly pulls = new Map<number, Promise<void>>();
  /** Highest seq any push announced, so a push dropped during a pull is fetched by that pull. */
  private readonly seen = new Map<number, number>();
  /** Own acked messages above the gap-free run, waiting for the ones before them. */
  private readonly ownAhead = new Map<number, Map<number, ChatMessage>>();
  /** Pushes dropped as duplicates or out of order (answered with a pull). */
  droppedPushes = 0;

  constructor(
    private readonly deps: SeqSyncDeps,
    positions: Map<number, number> = new Map(),
  ) {
    this.last = new Map(positions);
  }

  position(conversationId: number): number {
    return this.last.get(conversationId) ?? 0;
  }

  positions(): Map<number, number> {
    return new Map(this.last);
  }

  onPush(m: ChatMessage): void {
    const last = this.position(m.conversationId);
    this.seen.set(m.conversationId, Math.max(m.seq, this.seen.get(m.conversationId) ?? 0));
    if (m.seq === last + 1 && !this.pulls.has(m.conversationId)) {
      this.accept(m.conversationId, [m]);
      return;
    }
    this.droppedPushes++;
    if (m.seq > last + 1) void this.pull(m.conversationId).catch(() => undefined);
  }

  /** A SendAck of our own message: the server does not push it back to us, yet we hold it. */
  onOwnAck(m: ChatMessage): void {
    const last = this.position(m.conversationId);
    if (m.seq <= last) return;
    if (m.seq === last + 1 && !this.pulls.has(m.conversationId)) {
      this.accept(m.conversationId, [m]);
      return;
    }
    let ahead = this.ownAhead.get(m.conversationId);
    if (!ahead) {
      ahead = new Map();
      this.ownAhead.set(m.conversationId, ahead);
    }
    ahead.set(m.seq, m);
    this.seen.set(m.conversationId, Math.max(m.seq, this.seen.get(m.conversationId) ?? 0));
    // Pipelined sends may ack out of order and a push may still be on its way: wait briefly first.
    const timer = setTimeout(() => {
      if (this.position(m.conversationId) < m.seq) void this.pull(m.conversationId).catch(() => undefined);
    }, OWN_GAP_GRACE_MS);
    (timer as { unref?: () => void }).unref?.();
  }

  /** After login: pulls every conversation whose maxSeq is above what this device holds. */
  async catchUp(states: { conversationId: number; maxSeq: number }[]): Promise<void> {
    await Promise.all(states.filter((c) => c.maxSeq > this.position(c.conversationId)).map((c) => this.pull(c.conversationId)));
  }

  /** Pages forward from the local seq until hasMore is false; one pull per conversation at a time. */
  pull(conversationId: number): Promise<void> {
    const running = this.pulls.get(conversationId);
    if (running) return running.then(() => this.pull(conversationId));
    const job = (async () => {
      for (let empty = 0; empty < MAX_EMPTY_PULLS; ) {
        const page = await this.deps.pull(conversationId, this.position(conversationId));
        // A pull's first seq is above afterSeq + 1 only where the user joined a group later: take it as it comes.
        this.accept(conversationId, page.messages.filter((m) => m.seq > this.position(conversationId)));
        if (!page.hasMore && (this.seen.get(conversationId) ?? 0) <= this.position(conversationId)) return;
        if (page.messages.length === 0) {
          empty++;
          await new Promise((resolve) => setTimeout(resolve, EMPTY_PULL_PAUSE_MS));
        }
      }
    })().finally(() => this.pulls.delete(conversationId));
    this.pulls.set(conversationId, job);
    return job;
  }

  private accept(conversationId: number, messages: ChatMessage[]): void {
    const accepted = [...messages];
    let last = accepted.length > 0 ? (accepted[accepted.length - 1] as ChatMessage).seq : this.position(conversationId);
    const ahead = this.ownAhead.get(conversationId);
    if (ahead) {
      for (const seq of [...ahead.keys()]) if (seq <= last) ahead.delete(seq);
      // Own messages that now continue the run.
      for (let next = ahead.get(last + 1); next !== undefined; next = ahead.get(last + 1)) {
        ahead.delete(next.seq);
        accepted.push(next);
        last = next.seq;
      }
      if (ahead.size === 0) this.ownAhead.delete(conversationId);
    }
    if (accepted.length === 0) return;
    this.last.set(conversationId, last);
    this.deps.deliver(conversationId, accepted);
  }
}
