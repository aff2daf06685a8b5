/**
 * The IPC messages between the chat benchmark's orchestrator (chat-bench.ts) and its load
 * generator processes (load-worker.ts). Plain JSON over child_process.fork's channel.
 */
import type { HistogramData } from './chat-histogram';

/** One simulated user as a worker needs it. */
export interface WorkerUser {
  uid: number;
  token: string;
  host: string;
  port: number;
  /** Source address to bind (127.x.y.z) so the ephemeral ports of many sockets do not run out. */
  localAddress: string;
  /** The partner this user talks to (0: none). */
  peer: number;
  /** The direct conversation with the partner (0: none). */
  conversationId: number;
  /** True when the partner is logged in on another chat server. */
  cross: boolean;
}

/** How SendReq names the recipient: chat servers get the conversation, the bare relay the uid. */
export type AddressBy = 'conversation' | 'to';

export type WorkerCommand =
  /** deliveredAckMs: how often recipients send DeliveredAck (highest seq per conversation); 0 = never (no delivery receipts). */
  | { cmd: 'connect'; users: WorkerUser[]; concurrency: number; addressBy: AddressBy; bodyBytes: number; heartbeats: boolean; deliveredAckMs?: number }
  /** Every user sends to its partner; `rate` messages/s for this whole worker. */
  | { cmd: 'throughput'; rate: number; durationMs: number; drainMs: number; maxOutstanding: number; tickMs: number }
  /** Users with `uid < peer` among the first `pairs` pairs send every intervalMs; partners reply on receipt. */
  | { cmd: 'pingpong'; pairs: number; intervalMs: number; durationMs: number; drainMs: number }
  /** Nothing but heartbeats for durationMs. */
  | { cmd: 'hold'; durationMs: number }
  /** Waits (at most drainMs) for every send to be answered and every push to arrive, then reports the totals since connect. */
  | { cmd: 'totals'; drainMs: number }
  | { cmd: 'disconnect' }
  | { cmd: 'exit' };

export interface ConnectResult {
  type: 'connected';
  attempted: number;
  loggedIn: number;
  errors: Record<string, number>;
  wallMs: number;
  login: HistogramData;
  heartbeatSec: number;
  cpuMs: number;
}

export interface StepResult {
  type: 'step';
  /** Wall time of the sending window. */
  windowMs: number;
  /** The part of the window in which acksInWindow / pushesInWindow were counted (after settling). */
  countMs: number;
  sent: number;
  acks: number;
  pushes: number;
  /** Acks and pushes that arrived inside the counting part of the sending window. */
  acksInWindow: number;
  pushesInWindow: number;
  /** Sends skipped because the connection already had maxOutstanding unacknowledged requests. */
  throttled: number;
  /** Sends dropped because the generator fell more than 250 ms behind its schedule (it was starved). */
  lagged: number;
  /** Sends never acknowledged by the end of the drain. */
  unacked: number;
  errors: Record<string, number>;
  ack: HistogramData;
  e2eSame: HistogramData;
  e2eCross: HistogramData;
  rttSame: HistogramData;
  rttCross: HistogramData;
  deliveredAcks: number;
  pings: number;
  pongs: number;
  /** Connections that closed without being asked to (kick, server close, reset). */
  dropped: number;
  open: number;
  /** This generator's CPU time (user + system) over the sending window, ms. */
  cpuMs: number;
}

/** Counts since the last connect, never reset between steps: what the after-run storage check compares. */
export interface TotalsResult {
  type: 'totals';
  sent: number;
  acks: number;
  /** Sends answered with an Error frame. */
  refused: number;
  pushes: number;
  /** Conversations this worker's users sent to (for counting their stored rows). */
  conversations: number[];
}

export interface DisconnectResult {
  type: 'disconnected';
  closed: number;
}

export type WorkerReply = ConnectResult | StepResult | TotalsResult | DisconnectResult | { type: 'error'; message: string };
