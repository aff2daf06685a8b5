/**
 * The login benchmark's headline (issue 10): gate logins/s under wrk ÷ the argon2 verify ceiling of the
 * box, each wrk round between two ceiling measurements (the mean of the two is its ceiling, so drift of
 * the machine during the run moves both sides), the verdict on the median round against TARGET_RATIO;
 * and where the CPU went, per login, over all rounds.
 */
import type { Ceiling } from './argon2-ceiling';
import type { WrkStep } from './login-wrk';

export const TARGET_RATIO = 0.85;

/**
 * Other processes may use at most this much of a core (percent) in every round for a verdict: on a
 * shared box the ratio is biased upwards, since the scheduler shares a contested CPU by runnable
 * threads and the cluster (gate, its hashing threads, status, MariaDB, Redis, wrk) has more of them than
 * the ceiling's process has (rounds of 1.0–1.2 were measured that way).
 */
export const QUIET_OTHERS_PCT = 10;

export interface WrkRound {
  before: Ceiling;
  wrk: WrkStep;
  after: Ceiling;
  /** Mean of before and after, verifies/s. */
  ceiling: number;
  /** wrk logins/s ÷ ceiling. */
  ratio: number;
}

export interface Verdict {
  target: number;
  ratios: number[];
  /** The median round's ratio. */
  ratio: number;
  pass: boolean;
  /** False when other processes used more than QUIET_OTHERS_PCT of a core in some round: no verdict. */
  quiet: boolean;
  line: string;
}

export function round(before: Ceiling, wrk: WrkStep, after: Ceiling): WrkRound {
  const ceiling = (before.verifiesPerSec + after.verifiesPerSec) / 2;
  return { before, wrk, after, ceiling: Math.round(ceiling * 10) / 10, ratio: Math.round((wrk.loginsPerSec / ceiling) * 1000) / 1000 };
}

export function verdict(rounds: readonly WrkRound[]): Verdict {
  const ratios = rounds.map((r) => r.ratio);
  const sorted = [...ratios].sort((a, b) => a - b);
  const ratio = sorted.length === 0 ? 0 : (sorted[Math.floor((sorted.length - 1) / 2)] as number);
  const pass = ratios.length > 0 && ratio >= TARGET_RATIO;
  const busiest = Math.max(0, ...rounds.map((r) => r.wrk.machine.othersPct));
  const quiet = busiest <= QUIET_OTHERS_PCT;
  const word = quiet ? (pass ? 'PASS' : 'MISS') : `NO VERDICT (other processes used up to ${busiest} % of a core during a round, over ${QUIET_OTHERS_PCT} %: the ratio is biased upwards on a shared box; would read ${pass ? 'PASS' : 'MISS'})`;
  const line = `${word}: gate logins/s ÷ argon2 verify ceiling = ${ratio.toFixed(3)} (median of ${ratios.length} wrk round${ratios.length === 1 ? '' : 's'}: ${ratios.map((x) => x.toFixed(3)).join(', ')}); target ≥ ${TARGET_RATIO}`;
  return { target: TARGET_RATIO, ratios, ratio, pass: pass && quiet, quiet, line };
}

/**
 * A cross-check that other load on the box moves less: CPU ms of one verification alone (the ceilings'
 * mean) ÷ CPU ms all of the run's own processes spent per login (gate, status, verify, MariaDB, Redis,
 * wrk, and softirq). Where CPU is the only limit this is the ratio an otherwise idle box would show.
 */
export function cpuRatio(rounds: readonly WrkRound[]): { verifyMs: number; perLoginMs: number; ratio: number } {
  const per = cpuPerLogin(rounds);
  const own = ['gate', 'status', 'verify', 'mariadb', 'redis', 'wrk', 'softirq (loopback packets, no process)'].reduce((a, k) => a + (per[k] ?? 0), 0);
  const verifies = rounds.flatMap((r) => [r.before.cpuMsPerVerify, r.after.cpuMsPerVerify]);
  const verifyMs = verifies.reduce((a, b) => a + b, 0) / Math.max(1, verifies.length);
  return { verifyMs: Math.round(verifyMs * 100) / 100, perLoginMs: Math.round(own * 100) / 100, ratio: Math.round((verifyMs / Math.max(1e-9, own)) * 1000) / 1000 };
}

/** CPU ms per successful login over all rounds: each process, the gate by thread, the rest of the machine. */
export function cpuPerLogin(rounds: readonly WrkRound[]): Record<string, number> {
  const logins = rounds.reduce((a, r) => a + r.wrk.ok, 0);
  const sums = new Map<string, number>();
  const add = (key: string, sec: number) => {
    if (Number.isFinite(sec)) sums.set(key, (sums.get(key) ?? 0) + sec);
  };
  for (const r of rounds) {
    for (const [name, sec] of Object.entries(r.wrk.cpuSec)) add(name, sec);
    for (const [thread, sec] of Object.entries(r.wrk.gateThreadsSec)) add(`gate: ${thread}`, sec);
    add('not ours (other processes)', (r.wrk.machine.othersPct / 100) * r.wrk.seconds);
    const cores = Object.values(r.wrk.machine.cores);
    add('softirq (loopback packets, no process)', cores.reduce((a, c) => a + c.softirq, 0) / 100 * r.wrk.seconds);
    add('whole machine busy', cores.reduce((a, c) => a + c.user + c.system + c.softirq, 0) / 100 * r.wrk.seconds);
  }
  const out: Record<string, number> = {};
  for (const [k, sec] of sums) out[k] = Math.round((sec / Math.max(1, logins)) * 1e5) / 100;
  return out;
}
