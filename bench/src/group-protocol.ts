/**
 * The IPC messages between the group benchmark's orchestrator (group-bench.ts) and its load
 * generator processes (group-worker.ts). Plain JSON over child_process.fork's channel; the
 * per-message arrays travel as base64 of typed arrays (a step holds tens of thousands of them).
 *
 * A group message's body is `g:<step>:<worker>:<n>:<send time, epoch µs>|aaa…`: message n of
 * worker `worker` in step `step`. Every receiving worker keeps, per sending worker, the latest
 * receipt time and the receipt count of each n; the orchestrator merges them into the time the
 * LAST member received each message. Memory is bounded by the step's message count.
 */
import type { HistogramData } from './chat-histogram';
import type { ConnectResult } from './load-protocol';

export type { ConnectResult } from './load-protocol';

/** One member connection as a worker needs it. */
export interface GroupWorkerUser {
  uid: number;
  token: string;
  host: string;
  port: number;
  /** Source address to bind (127.x.y.z). */
  localAddress: string;
  /** The group conversation this member belongs to. */
  conversationId: number;
  /** This member posts during the steps. */
  sender: boolean;
}

export type GroupWorkerCommand =
  /** `index` goes into every body this worker sends; DeliveredAck every deliveredAckMs (0: never). */
  | { cmd: 'connect'; index: number; users: GroupWorkerUser[]; concurrency: number; bodyBytes: number; deliveredAckMs: number }
  /**
   * The worker's senders post `rate` messages/s together (round robin, token bucket on a tickMs
   * tick) for durationMs; then the worker waits for its acks (until drainMs after the window) and
   * answers GroupSentResult.
   */
  | { cmd: 'step'; step: number; rate: number; durationMs: number; drainMs: number; maxOutstanding: number; tickMs: number }
  /**
   * After every worker's GroupSentResult: waits until `expectedPushes` pushes of the step arrived
   * here (the orchestrator knows who is a member where and what was acked) or the drain deadline
   * passed, and answers GroupStepResult.
   */
  | { cmd: 'collect'; expectedPushes: number }
  | { cmd: 'disconnect' }
  | { cmd: 'exit' };

/** What one worker received of the messages of one sending worker, indexed by n. */
export interface ReceiptData {
  from: number;
  /** Float64Array (base64): latest receipt, epoch ms (0: none). */
  lastAt: string;
  /** Uint32Array (base64): receipts. */
  count: string;
}

export interface GroupSentResult {
  type: 'group-sent';
  worker: number;
  /** [sender uid, acked messages of this step]. */
  acked: [number, number][];
}

export interface GroupStepResult {
  type: 'group-step';
  worker: number;
  /** Wall time of the sending window. */
  windowMs: number;
  /** The part of the window in which the *InWindow counters ran (after settling). */
  countMs: number;
  sent: number;
  acks: number;
  acksInWindow: number;
  /** MessagePush arrivals of this step's messages (window and drain). */
  pushes: number;
  /** The pushes the orchestrator expected here: acked messages × this worker's other members of their groups. */
  expectedPushes: number;
  pushesInWindow: number;
  /** Pushes of earlier steps' messages that arrived during this one (a backlog). */
  stalePushes: number;
  /** Sends skipped: the sender already had maxOutstanding unacknowledged. */
  throttled: number;
  /** Sends dropped because the generator fell more than 250 ms behind its schedule. */
  lagged: number;
  unacked: number;
  errors: Record<string, number>;
  /** SendReq written → SendAck read. */
  ack: HistogramData;
  /** SendReq written → MessagePush read, every delivery. */
  delivery: HistogramData;
  /** This worker's own messages, indexed by n: Float64Array send time (epoch ms), Float64Array conversationId, Float64Array ack time (0: none). */
  sentAt: string;
  conversation: string;
  ackedAt: string;
  receipts: ReceiptData[];
  deliveredAcks: number;
  pings: number;
  pongs: number;
  dropped: number;
  open: number;
  /** This generator's CPU time over the sending window, ms. */
  cpuMs: number;
  /** Over window and drain, ms. */
  cpuAllMs: number;
  drainMs: number;
}

export type GroupWorkerReply = ConnectResult | GroupSentResult | GroupStepResult | { type: 'disconnected'; closed: number } | { type: 'error'; message: string };

export function encodeArray(a: Float64Array | Uint32Array, length: number): string {
  return Buffer.from(a.buffer, a.byteOffset, length * a.BYTES_PER_ELEMENT).toString('base64');
}

export function decodeFloat64(s: string): Float64Array {
  const b = Buffer.from(s, 'base64');
  const out = new Float64Array(b.length / 8);
  Buffer.from(out.buffer).set(b);
  return out;
}

export function decodeUint32(s: string): Uint32Array {
  const b = Buffer.from(s, 'base64');
  const out = new Uint32Array(b.length / 4);
  Buffer.from(out.buffer).set(b);
  return out;
}
