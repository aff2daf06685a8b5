/** The Markdown of a login benchmark run (bench/results/login-<time>.md), from its JSON result. */
import type { Ceiling } from './argon2-ceiling';
import type { ProfileSummary } from './cpu-profile';
import { cpuPerLogin, cpuRatio, type Verdict, type WrkRound } from './login-ratio';
import type { LatencySummary } from './login-stats';
import type { WrkStep } from './login-wrk';

export interface Phase {
  name: string;
  logins: number;
  succeeded: number;
  successPct: number;
  wallSec: number;
  loginsPerSec: number;
  latencyMs: LatencySummary;
  statuses: Record<string, number>;
  cpuSec: { generator: number; servers: Record<string, number> };
}

/** One wrk step with servers under --cpu-prof, and each one's main-thread summary. */
export interface LoginProfile {
  wrk: WrkStep;
  summaries: Record<string, ProfileSummary>;
}

export interface LoginResult {
  date: string;
  command: string;
  cpus: string;
  cores: number;
  node: string;
  users: number;
  distinctHashes: number;
  services: string;
  loadAverageAtStart: number[];
  configOverrides: { gate: Record<string, string | number | boolean> };
  hashCost: Ceiling & { memoryKib: number; timeCost: number };
  phases: Phase[];
  rounds: WrkRound[];
  verdict: Verdict | undefined;
  cpuPerLoginMs: Record<string, number>;
  profile?: LoginProfile;
  skipped?: string;
  totalSec: number;
}

function wrkRoundsTable(rounds: readonly WrkRound[]): string[] {
  const lines = ['| round | ceiling before | wrk logins/s (200s / not 200) | ceiling after | ratio | gate CPU ms per login (main thread / other threads) | not ours % of a core |', '|---|---|---|---|---|---|---|'];
  rounds.forEach((r, i) => {
    const per = (sec: number | undefined) => (sec === undefined ? '-' : ((sec / Math.max(1, r.wrk.ok)) * 1000).toFixed(2));
    const gate = `${per(r.wrk.cpuSec.gate)} (${per(r.wrk.gateThreadsSec.main)} / ${per(r.wrk.gateThreadsSec['other threads'])})`;
    lines.push(`| ${i + 1} | ${r.before.verifiesPerSec} | **${r.wrk.loginsPerSec}** (${r.wrk.ok} / ${r.wrk.failed}) | ${r.after.verifiesPerSec} | **${r.ratio.toFixed(3)}** | ${gate} | ${r.wrk.machine.othersPct}${r.wrk.machine.topOthers.length ? ` (${r.wrk.machine.topOthers.join(', ')})` : ''} |`);
  });
  return lines;
}

function profileLines(p: LoginProfile): string[] {
  const lines = [`Restarted as \`node --cpu-prof\`: ${Object.keys(p.summaries).join(', ')}; one more wrk step (${p.wrk.loginsPerSec} logins/s under the profiler). Main threads only (argon2 runs on other threads). Busy time is wall time the thread was not idle, preemption by other threads included.`, ''];
  for (const [name, s] of Object.entries(p.summaries)) {
    lines.push(`### ${name}`, '', `${s.samples} samples, busy ${s.busyMs} ms of ${s.wallMs} ms (${(s.busyMs / Math.max(1, p.wrk.ok)).toFixed(3)} ms per login). Busy time charged to the nearest package frame on the stack:`, '');
    lines.push('| area | ms | % of busy |', '|---|---|---|');
    for (const a of s.attributed.slice(0, 14)) lines.push(`| ${a.area} | ${a.ms} | ${a.pct} |`);
    lines.push('', 'Heaviest functions by self time:', '', '| function | where | area | self ms | % |', '|---|---|---|---|---|');
    for (const t of s.top.slice(0, 20)) lines.push(`| ${t.function} | ${t.location} | ${t.area} | ${t.selfMs} | ${t.pct} |`);
    lines.push('');
  }
  return lines;
}

export function loginMarkdown(r: LoginResult): string {
  const lines: string[] = [`# Login benchmark — ${r.date}`, ''];
  if (r.verdict) lines.push(`**${r.verdict.line}**`, '', `CPU cross-check: ${cpuRatio(r.rounds).ratio.toFixed(3)} (section 2).`, '');
  lines.push(`Machine: ${r.cpus}; Node ${r.node}; load average at the start ${r.loadAverageAtStart.join(' / ')}. Cluster: verify, status and gate processes (e2e harness); ${r.services}.`);
  lines.push(`argon2id m=${r.hashCost.memoryKib} KiB, t=${r.hashCost.timeCost}, p=1 (production defaults). ${r.users} users inserted directly into MySQL (${r.distinctHashes} distinct hashes reused).`);
  lines.push(`**Login limits raised for the run** via config sections: ${Object.entries(r.configOverrides.gate).map(([k, v]) => `gate.${k}=${String(v)}`).join(', ')} (all requests come from 127.0.0.1; storms wait in the hashing queue instead of being refused).`, '');
  lines.push('## 1. The argon2 ceiling', '');
  lines.push('Verifications (and hashes) per second of a fresh Node process doing nothing else, one at a time per core, while the cluster idles. Measured again before and after every wrk round below.', '');
  lines.push('| ops in parallel | verifies/s | hashes/s | CPU ms per verify |', '|---|---|---|---|');
  lines.push(`| ${r.hashCost.parallel} | ${r.hashCost.verifiesPerSec} | ${r.hashCost.hashesPerSec ?? '-'} | ${r.hashCost.cpuMsPerVerify} |`, '');
  lines.push('## 2. wrk against the ceiling (issue 10)', '');
  if (r.skipped) lines.push(r.skipped, '');
  else {
    lines.push(`\`${r.rounds[0]?.wrk.command ?? 'wrk'}\`; the ratio of a round is its logins/s (200 answers) ÷ the mean of the ceilings measured right before and right after it.`, '');
    lines.push(...wrkRoundsTable(r.rounds), '');
    lines.push('CPU per login over all rounds, ms (user + system, /proc; gate split by thread: `main` is the event loop, `other threads` the hashing threads and V8 helpers; wrk from bash `times`):', '');
    lines.push('| who | CPU ms per login |', '|---|---|');
    for (const [k, ms] of Object.entries(cpuPerLogin(r.rounds)).sort((a, b) => b[1] - a[1])) lines.push(`| ${k} | ${ms} |`);
    const okTotal = r.rounds.reduce((a, x) => a + x.wrk.ok, 0);
    const rate = okTotal / Math.max(1e-9, r.rounds.reduce((a, x) => a + x.wrk.seconds, 0));
    lines.push('', `For scale: one verification alone costs ${r.hashCost.cpuMsPerVerify} ms of CPU; at the rounds' mean rate (${rate.toFixed(1)} logins/s) the machine's ${r.cores} cores give ${((r.cores * 1000) / Math.max(1e-9, rate)).toFixed(2)} ms per login.`, '');
    const c = cpuRatio(r.rounds);
    lines.push(`CPU cross-check (moves less with other load on the box): one verification alone ${c.verifyMs} ms of CPU (mean of the ceilings) ÷ ${c.perLoginMs} ms of CPU per login over the run's own processes (gate, status, verify, MariaDB, Redis, wrk, softirq) = **${c.ratio.toFixed(3)}**.`, '');
    lines.push('wrk output of the last round:', '', '```', r.rounds[r.rounds.length - 1]?.wrk.summary ?? '', '```', '');
  }
  lines.push('## 3. Logins through the gate (Node clients)', '');
  lines.push('CPU s = user+system seconds during the phase (/proc/<pid>/stat; generator = the benchmark process).', '');
  lines.push('| phase | logins | success | wall s | logins/s | p50 ms | p99 ms | max ms | generator CPU s | gate CPU s | status CPU s | verify CPU s |');
  lines.push('|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const p of r.phases) {
    lines.push(`| ${p.name} | ${p.logins} | ${p.successPct}% | ${p.wallSec} | ${p.loginsPerSec} | ${p.latencyMs.p50} | ${p.latencyMs.p99} | ${p.latencyMs.max} | ${p.cpuSec.generator} | ${p.cpuSec.servers.gate ?? '-'} | ${p.cpuSec.servers.status ?? '-'} | ${p.cpuSec.servers.verify ?? '-'} |`);
  }
  lines.push('');
  for (const p of r.phases) if (p.successPct < 100) lines.push(`- ${p.name}: outcomes ${JSON.stringify(p.statuses)}`);
  if (r.profile) lines.push('## 4. Where the main threads go (--profile)', '', ...profileLines(r.profile));
  lines.push('', `Command: \`${r.command}\` (${r.totalSec} s in all)`, '');
  return lines.join('\n');
}
