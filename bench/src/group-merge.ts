/**
 * Merges the group benchmark's per-worker step results into one step: rates, the latency of
 * every delivery, and per message the time its LAST member received it (the latest receipt over
 * all workers, valid only once every member got it: a message some member never received has no
 * last-member latency and counts as slower than any that did).
 */
import { LatencyHistogram, type LatencyStats } from './chat-histogram';
import { decodeFloat64, decodeUint32, type GroupStepResult } from './group-protocol';

/** Percentiles of a latency where some samples never completed: those rank above every value (null). */
export interface TailStats {
  count: number;
  incomplete: number;
  p50: number | null;
  p99: number | null;
  p999: number | null;
  max: number | null;
}

export interface GroupStepSummary {
  windowSec: number;
  sent: number;
  sentPerSec: number;
  ackedPerSec: number;
  /** MessagePush arrivals of this step's messages per second, over the settled part of the window. */
  deliveriesPerSec: number;
  /** Σ over sent messages of (members − 1). */
  expected: number;
  delivered: number;
  deliveredPct: number;
  ackMs: LatencyStats;
  lastMemberMs: TailStats;
  deliveryMs: LatencyStats;
  throttled: number;
  lagged: number;
  unacked: number;
  stalePushes: number;
  errors: Record<string, number>;
  deliveredAcks: number;
  dropped: number;
  open: number;
  /** CPU the workers measured themselves over the sending window, percent of one core. */
  generatorSelfCpuPct: number;
  /** Longest drain after the window, s. */
  drainSec: number;
}

const round1 = (x: number) => Math.round(x * 10) / 10;

function tailStats(complete: LatencyHistogram, incomplete: number): TailStats {
  const total = complete.count + incomplete;
  const at = (q: number): number | null => {
    if (total === 0) return null;
    const rank = Math.max(1, Math.ceil(q * total));
    return rank > complete.count ? null : complete.quantile(rank / complete.count);
  };
  const r = (x: number | null) => (x === null ? null : x >= 10 ? round1(x) : Math.round(x * 100) / 100);
  return { count: total, incomplete, p50: r(at(0.5)), p99: r(at(0.99)), p999: r(at(0.999)), max: incomplete > 0 ? null : r(complete.count ? complete.maxMs : 0) };
}

/**
 * `recipients(conversationId)`: how many members should receive a message of that conversation
 * (members − 1). Also returns the acked messages per conversation, for the check against MySQL.
 */
export function mergeGroupSteps(list: readonly GroupStepResult[], recipients: (conversationId: number) => number): { summary: GroupStepSummary; ackedByConversation: Map<number, number> } {
  const sum = (f: (r: GroupStepResult) => number) => list.reduce((a, r) => a + f(r), 0);
  const windowSec = Math.max(...list.map((r) => r.windowMs)) / 1000;
  const rate = (f: (r: GroupStepResult) => number) => Math.round(list.reduce((a, r) => a + (r.countMs > 0 ? (f(r) * 1000) / r.countMs : 0), 0));
  const errors: Record<string, number> = {};
  for (const r of list) for (const [k, v] of Object.entries(r.errors)) errors[k] = (errors[k] ?? 0) + v;

  const last = new LatencyHistogram();
  let incomplete = 0;
  let expected = 0;
  let delivered = 0;
  const ackedByConversation = new Map<number, number>();
  for (const sender of list) {
    const sentAt = decodeFloat64(sender.sentAt);
    const conversation = decodeFloat64(sender.conversation);
    const ackedAt = decodeFloat64(sender.ackedAt);
    const lastAt = new Float64Array(sentAt.length);
    const count = new Uint32Array(sentAt.length);
    for (const receiver of list) {
      for (const col of receiver.receipts) {
        if (col.from !== sender.worker) continue;
        const at = decodeFloat64(col.lastAt);
        const n = decodeUint32(col.count);
        const len = Math.min(at.length, sentAt.length);
        for (let i = 0; i < len; i++) {
          if ((at[i] as number) > (lastAt[i] as number)) lastAt[i] = at[i] as number;
          count[i] = (count[i] as number) + (n[i] as number);
        }
      }
    }
    for (let i = 0; i < sentAt.length; i++) {
      const conv = conversation[i] as number;
      const want = recipients(conv);
      const got = count[i] as number;
      expected += want;
      delivered += Math.min(got, want);
      if (got >= want) last.record((lastAt[i] as number) - (sentAt[i] as number));
      else incomplete++;
      if ((ackedAt[i] as number) > 0) ackedByConversation.set(conv, (ackedByConversation.get(conv) ?? 0) + 1);
    }
  }
  const sent = sum((r) => r.sent);
  const summary: GroupStepSummary = {
    windowSec: Math.round(windowSec * 100) / 100,
    sent,
    sentPerSec: Math.round(sent / Math.max(windowSec, 0.001)),
    ackedPerSec: rate((r) => r.acksInWindow),
    deliveriesPerSec: rate((r) => r.pushesInWindow),
    expected,
    delivered,
    deliveredPct: expected > 0 ? Math.floor((delivered / expected) * 10000) / 100 : 0,
    ackMs: LatencyHistogram.merge(list.map((r) => r.ack)).stats(),
    lastMemberMs: tailStats(last, incomplete),
    deliveryMs: LatencyHistogram.merge(list.map((r) => r.delivery)).stats(),
    throttled: sum((r) => r.throttled),
    lagged: sum((r) => r.lagged),
    unacked: sum((r) => r.unacked),
    stalePushes: sum((r) => r.stalePushes),
    errors,
    deliveredAcks: sum((r) => r.deliveredAcks),
    dropped: sum((r) => r.dropped),
    open: sum((r) => r.open),
    generatorSelfCpuPct: round1((sum((r) => r.cpuMs) / 1000 / Math.max(windowSec, 0.001)) * 100),
    drainSec: Math.round(Math.max(...list.map((r) => r.drainMs)) / 100) / 10,
  };
  return { summary, ackedByConversation };
}
