/** The overload benchmark's report: its shape, the verdicts, and the Markdown rendering. */
import type { StepSummary } from './chat-generators';
import type { ProfileSummary } from './cpu-profile';

export type PhaseName = 'calibrate' | 'normal' | 'overload' | 'recovery';

export interface RssSample {
  /** Seconds since the benchmark started. */
  t: number;
  phase: PhaseName;
  rssMib: number;
  /** The chat server's CPU over the last second, percent of one core. */
  cpuPct: number;
}

export interface PhaseResult {
  name: PhaseName;
  targetPerSec: number;
  steps: StepSummary[];
}

export interface OverloadReport {
  date: string;
  command: string;
  machine: string;
  node: string;
  loadAverageAtStart: number[];
  pinning: string;
  config: Record<string, Record<string, string | number | boolean>>;
  users: number;
  bodyBytes: number;
  sustainablePerSec: number;
  sustainableSource: string;
  factor: number;
  phases: PhaseResult[];
  samples: RssSample[];
  /** SendAcks received in all phases. */
  acks: number;
  /** Rows in `messages` at the end: at least `acks` (a send stored whose ack was not read counts here only). */
  rows: number;
  verdicts: string[];
  totalSec: number;
  /** chat1's CPU profile during the flood (--profile). */
  profile?: ProfileSummary;
}

const mark = (ok: boolean) => (ok ? 'PASS' : 'MISS');
const max = (xs: number[]) => (xs.length ? Math.max(...xs) : 0);
const median = (xs: number[]) => (xs.length ? ([...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number) : 0);

function phase(r: OverloadReport, name: PhaseName): PhaseResult | undefined {
  return r.phases.find((p) => p.name === name);
}

function errorsOf(steps: readonly StepSummary[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of steps) for (const [k, v] of Object.entries(s.errors)) out[k] = (out[k] ?? 0) + v;
  return out;
}

/** RSS flat, excess refused OVERLOADED, factor reached, nothing acked lost, latency back after the flood. */
export function overloadVerdicts(r: OverloadReport): string[] {
  const v: string[] = [];
  const rss = (name: PhaseName) => r.samples.filter((s) => s.phase === name);
  const flood = rss('overload');
  if (flood.length > 0) {
    // The bounds fill in the first seconds; flat means nothing grows after that.
    const t0 = flood[0]?.t ?? 0;
    const early = flood.filter((s) => s.t - t0 < 10);
    const later = flood.filter((s) => !early.includes(s));
    const earlyMax = max(early.map((s) => s.rssMib));
    const growth = later.length ? max(later.map((s) => s.rssMib)) - earlyMax : 0;
    const baseline = median(rss('normal').map((s) => s.rssMib));
    const allowed = Math.max(32, earlyMax * 0.1);
    v.push(
      `${mark(growth <= allowed)} RSS flat under overload: peak of the first 10 s ${earlyMax} MiB, later ${later.length ? max(later.map((s) => s.rssMib)) : '-'} MiB (growth ${Math.round(growth * 10) / 10} MiB, allowed ${Math.round(allowed)}); normal-phase median ${baseline} MiB, end of recovery ${rss('recovery').at(-1)?.rssMib ?? '-'} MiB`,
    );
  }
  const over = phase(r, 'overload');
  if (over) {
    const errors = errorsOf(over.steps);
    const others = Object.keys(errors).filter((k) => k !== 'OVERLOADED');
    const sentPerSec = Math.round(over.steps.reduce((a, s) => a + s.sent, 0) / Math.max(1, over.steps.reduce((a, s) => a + s.windowSec, 0)));
    const achieved = r.sustainablePerSec > 0 ? Math.round((sentPerSec / r.sustainablePerSec) * 10) / 10 : 0;
    v.push(`${mark((errors.OVERLOADED ?? 0) > 0 && others.length === 0)} excess refused with the retryable OVERLOADED: ${(errors.OVERLOADED ?? 0).toLocaleString('en-US')} refusals${others.length ? `; other errors ${JSON.stringify(Object.fromEntries(others.map((k) => [k, errors[k]])))}` : ', no other errors'}`);
    v.push(`${mark(achieved >= 0.95 * r.factor)} offered load: ${sentPerSec.toLocaleString('en-US')} msg/s = ×${achieved} the sustainable ${r.sustainablePerSec.toLocaleString('en-US')} msg/s (target ×${r.factor}; below it the generators were the limit: lagged ${over.steps.reduce((a, s) => a + s.lagged, 0)}, throttled ${over.steps.reduce((a, s) => a + s.throttled, 0)})`);
  }
  v.push(`${mark(r.rows >= r.acks)} nothing acked lost: ${r.acks.toLocaleString('en-US')} acks, ${r.rows.toLocaleString('en-US')} rows in MySQL (${(r.rows - r.acks).toLocaleString('en-US')} stored without their ack being read)`);
  const normal = phase(r, 'normal')?.steps ?? [];
  const recovery = phase(r, 'recovery')?.steps ?? [];
  if (normal.length && recovery.length) {
    const before = max(normal.map((s) => s.ackMs.p99));
    const bound = Math.max(2 * before, before + 50);
    // A step counts once it sent at the normal rate again and its acks came back in time (late OVERLOADED answers to the flood's own backlog may still arrive in it).
    const back = recovery.findIndex((s) => s.sent > 0 && s.acks > 0 && s.ackMs.p99 <= bound);
    const stepSec = recovery[0]?.windowSec ?? 0;
    v.push(`${mark(back >= 0)} back to normal after the flood: ack p99 before ${before} ms; recovery steps ${recovery.map((s) => s.ackMs.p99).join(' / ')} ms; within bound (${bound} ms) ${back >= 0 ? `from step ${back + 1} (≤ ${Math.round((back + 1) * stepSec)} s after the flood)` : 'never'}`);
  }
  return v;
}

export function renderOverloadMarkdown(r: OverloadReport): string {
  const lines: string[] = [];
  lines.push(`# Overload benchmark, ${r.date}`, '');
  lines.push(`\`${r.command}\` — ${r.totalSec} s; ${r.machine}; Node ${r.node}; load average at start ${r.loadAverageAtStart.map((x) => x.toFixed(2)).join(' ')}; ${r.pinning}.`, '');
  lines.push(`${r.users} users on one chat server (both partners of every pair), ${r.bodyBytes}-byte bodies. Sustainable: **${r.sustainablePerSec.toLocaleString('en-US')} msg/s** (${r.sustainableSource}); overload ×${r.factor}.`, '');
  lines.push('## Verdicts', '', ...r.verdicts.map((x) => `- ${x}`), '');
  lines.push('## Steps', '');
  lines.push('| phase | target msg/s | sent/s | acked/s | OVERLOADED | other errors | ack p50 / p99 / max ms | lagged | throttled | unacked |');
  lines.push('|---|---|---|---|---|---|---|---|---|---|');
  for (const p of r.phases) {
    for (const s of p.steps) {
      const { OVERLOADED: overloaded = 0, ...others } = s.errors;
      lines.push(`| ${p.name} | ${p.targetPerSec || 'closed loop'} | ${s.sentPerSec} | ${s.ackedPerSec} | ${overloaded} | ${Object.keys(others).length ? JSON.stringify(others) : '–'} | ${s.ackMs.p50} / ${s.ackMs.p99} / ${s.ackMs.max} | ${s.lagged} | ${s.throttled} | ${s.unacked} |`);
    }
  }
  lines.push('', '## chat1 every second', '', '| t s | phase | RSS MiB | CPU % |', '|---|---|---|---|');
  for (const s of r.samples) lines.push(`| ${s.t} | ${s.phase} | ${s.rssMib} | ${s.cpuPct} |`);
  lines.push('', `Acks ${r.acks.toLocaleString('en-US')}, rows in MySQL ${r.rows.toLocaleString('en-US')}.`, '');
  if (r.profile) {
    const p = r.profile;
    lines.push('## chat1 profile during the flood', '', `${p.samples} samples; busy ${Math.round(p.busyMs)} ms, idle ${Math.round(p.idleMs)} ms.`, '');
    lines.push('| area | % of busy |', '|---|---|', ...p.attributed.slice(0, 12).map((a) => `| ${a.area} | ${a.pct} |`), '');
    lines.push('| function | where | self % |', '|---|---|---|', ...p.top.slice(0, 25).map((t) => `| ${t.function} | ${t.location} | ${t.pct} |`), '');
  }
  return lines.join('\n');
}
