/**
 * When a chat throughput step counts as sustainable — the rule IM benchmarks use, so the headline
 * never rests on a step that only kept up by queueing: the generator really sent ≥ 95 % of the
 * target (a starved or throttled generator measured itself), recipients got ≥ 99 % of what was
 * sent (pushes by the end of the step's drain), p99 < 100 ms end to end AND for the SendAck, and nothing failed.
 */
import type { StepSummary } from './chat-generators';

export const MIN_SENT_SHARE = 0.95;
export const MIN_DELIVERED_SHARE = 0.99;
export const MAX_P99_MS = 100;

/** What a step missed (empty: sustainable). */
export function judgeStep(s: StepSummary & { targetPerSec: number }): string[] {
  const misses: string[] = [];
  const pct = (x: number) => `${Math.round(x * 1000) / 10}%`;
  if (s.sentPerSec < MIN_SENT_SHARE * s.targetPerSec) misses.push(`generator sent ${pct(s.sentPerSec / s.targetPerSec)} of the target`);
  // Counted, not a rate: pushes of the step (its 3 s drain included) against its sends, so a
  // 100 ms shift at the window's edges does not count as a loss; late ones show in the p99.
  if (s.pushes < MIN_DELIVERED_SHARE * s.sent) misses.push(`delivered ${pct(s.pushes / Math.max(1, s.sent))} of sent`);
  if (s.e2eMs.p99 >= MAX_P99_MS) misses.push(`end-to-end p99 ${s.e2eMs.p99} ms`);
  if (s.ackMs.p99 >= MAX_P99_MS) misses.push(`ack p99 ${s.ackMs.p99} ms`);
  const errors = Object.values(s.errors).reduce((a, n) => a + n, 0);
  if (errors > 0 || s.unacked > 0 || s.dropped > 0) misses.push(`${errors} errors, ${s.unacked} unacked, ${s.dropped} dropped`);
  return misses;
}
