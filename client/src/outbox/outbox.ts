import { ConnectionClosedError, ProtocolError, serverRetryAfterMs, type SendAck } from '@parley/protocol/codec';
import type { LocalStore, OutboxEntry } from '../store/local-store';
import { randomId } from '../ids';

export interface OutboxDeps {
  store: LocalStore;
  /** SendReq on the current connection, with the entry's clientMsgId. Rejects when offline. */
  send(entry: OutboxEntry): Promise<SendAck>;
  /** The entry changed state (sending again, failed). */
  onChange(entry: OutboxEntry): void;
  /** The server stored it (first time, or a resend answered with the original ack). */
  onAcked(entry: OutboxEntry, ack: SendAck): void;
  /** Pause before trying again after a retryable refusal (doubled per refusal in a row, at least what the server asked for). */
  retryDelayMs?: number;
}

/** Refusals after which the same send may succeed later (nothing was stored); the message stays queued. */
export function isRetryableSendError(err: unknown): boolean {
  return err instanceof ProtocolError && (err.code === 'UNAVAILABLE' || err.code === 'RATE_LIMITED' || err.code === 'OVERLOADED');
}

/** Longest pause between two attempts of one message. */
const MAX_RETRY_DELAY_MS = 30_000;

/**
 * How long to wait before sending again after the `failures`-th retryable refusal in a row: what
 * the server asked for (OVERLOADED's `retryAfterMs`, RATE_LIMITED's `retryAfterSec`), else the
 * base delay doubled per failure; plus up to half again of random jitter, so the clients a busy
 * server refused at the same moment do not all come back at the same moment.
 */
export function retryDelay(err: unknown, failures: number, baseMs: number, random: () => number = Math.random): number {
  const asked = serverRetryAfterMs(err);
  const wait = Math.min(MAX_RETRY_DELAY_MS, Math.max(asked ?? 0, baseMs * 2 ** Math.max(0, failures - 1)));
  return Math.round(wait * (1 + random() / 2));
}

const newClientMsgId = (): string => randomId();

/**
 * Messages waiting for their SendAck. Each gets its clientMsgId once, is stored before it is sent, and
 * is resent with that same id after a reconnect or an app restart until acked, so the server (which
 * deduplicates by sender and clientMsgId) stores it exactly once. Sent one at a time, oldest first,
 * which keeps a conversation's messages in the order they were written.
 */
export class Outbox {
  private readonly entries = new Map<string, OutboxEntry>();
  private readonly written = new Map<string, Promise<void>>();
  private running: Promise<void> | undefined;
  private rerun = false;
  private online = false;

  constructor(private readonly deps: OutboxDeps) {}

  async load(): Promise<void> {
    const stored = await this.deps.store.loadOutbox();
    for (const e of stored.sort((a, b) => a.createdAtMs - b.createdAtMs)) this.entries.set(e.clientMsgId, e);
  }

  list(conversationId?: number): OutboxEntry[] {
    return [...this.entries.values()].filter((e) => conversationId === undefined || e.conversationId === conversationId);
  }

  get(clientMsgId: string): OutboxEntry | undefined {
    return this.entries.get(clientMsgId);
  }

  /** Queues a message; `clientMsgId` is the caller's id (made here when absent). An id already queued is not queued twice. */
  add(conversationId: number, type: OutboxEntry['type'], body: string, clientMsgId?: string): OutboxEntry {
    const queued = clientMsgId === undefined ? undefined : this.entries.get(clientMsgId);
    if (queued) return queued;
    const entry: OutboxEntry = { clientMsgId: clientMsgId ?? newClientMsgId(), conversationId, type, body, createdAtMs: Date.now(), state: 'sending' };
    this.entries.set(entry.clientMsgId, entry);
    this.write(entry);
    this.flush();
    return entry;
  }

  /** A failed message goes back in the queue, same clientMsgId. */
  retry(clientMsgId: string): boolean {
    const entry = this.entries.get(clientMsgId);
    if (!entry || entry.state !== 'failed') return false;
    entry.state = 'sending';
    delete entry.error;
    this.write(entry);
    this.deps.onChange(entry);
    this.flush();
    return true;
  }

  /** The server holds this message already (a pull brought it): nothing left to send. */
  settle(clientMsgId: string): void {
    if (this.entries.delete(clientMsgId)) void this.deps.store.deleteOutbox(clientMsgId);
  }

  setOnline(online: boolean): void {
    this.online = online;
    if (online) this.flush();
  }

  /** Sends what is queued while online; resolves when the queue is empty or the link dropped. */
  flush(): Promise<void> {
    if (!this.online) return Promise.resolve();
    if (this.running) {
      // A drain may be past the point where it looks for work: make it look again.
      this.rerun = true;
      return this.running;
    }
    this.running = (async () => {
      do {
        this.rerun = false;
        await this.drain();
      } while (this.rerun && this.online);
    })().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async drain(): Promise<void> {
    // Retryable refusals of the same message in a row: each waits longer.
    let failures = 0;
    let last: OutboxEntry | undefined;
    for (;;) {
      const entry = [...this.entries.values()].find((e) => e.state === 'sending');
      if (!entry || !this.online) return;
      await this.written.get(entry.clientMsgId);
      failures = entry === last ? failures : 0;
      last = entry;
      try {
        const ack = await this.deps.send(entry);
        if (this.entries.get(entry.clientMsgId) !== entry) continue;
        this.entries.delete(entry.clientMsgId);
        this.deps.onAcked(entry, ack);
        await this.deps.store.deleteOutbox(entry.clientMsgId);
      } catch (err) {
        // Offline: the next connection flushes again.
        if (err instanceof ConnectionClosedError || (err as { code?: unknown }).code === 'OFFLINE') return;
        if (isRetryableSendError(err)) {
          failures++;
          await new Promise((resolve) => setTimeout(resolve, retryDelay(err, failures, this.deps.retryDelayMs ?? 1000)));
          continue;
        }
        entry.state = 'failed';
        entry.error = err instanceof ProtocolError ? err.code : 'INTERNAL';
        this.write(entry);
        this.deps.onChange(entry);
      }
    }
  }

  private write(entry: OutboxEntry): void {
    const copy = { ...entry };
    const previous = this.written.get(entry.clientMsgId) ?? Promise.resolve();
    const next = previous.then(() => this.deps.store.putOutbox(copy)).catch(() => undefined);
    this.written.set(entry.clientMsgId, next);
    void next.then(() => {
      if (this.written.get(entry.clientMsgId) === next) this.written.delete(entry.clientMsgId);
    });
  }
}
