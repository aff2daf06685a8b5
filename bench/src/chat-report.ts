/** Markdown rendering of a chat benchmark run (bench/results/chat-<timestamp>.md). */
import { layoutsMarkdown } from './chat-layout-report';
import type { LayoutResult } from './chat-layouts';
import type { ProfileResult } from './chat-profile';
import type { IdlePart, PingPongResult, RampResult } from './chat-scenarios';
import type { FsyncProbe } from './disk-probe';

export interface ChatBenchReport {
  date: string;
  command: string;
  machine: string;
  node: string;
  loadAverageAtStart: number[];
  pinning: string;
  services: string;
  mariadb: Record<string, string>;
  /** fdatasync latency of the disk MariaDB writes to, measured just before the scenarios. */
  disk?: FsyncProbe;
  config: Record<string, Record<string, string | number | boolean>>;
  scenarios: string[];
  /** The headline: the throughput ramp per layout. */
  layouts?: LayoutResult[];
  relay?: RampResult;
  relayRatio?: { sustained: number | null; maxDelivered: number | null };
  pingpong?: PingPongResult;
  profile?: ProfileResult;
  idle?: IdlePart[];
  verdicts: string[];
  totalSec: number;
}

const fmt = (n: number | undefined) => (n === undefined || Number.isNaN(n) ? '-' : n.toLocaleString('en-US'));
const errs = (e: Record<string, number>) => (Object.keys(e).length ? Object.entries(e).map(([k, v]) => `${k}: ${v}`).join(', ') : '0');
const cpu = (c: Record<string, number>, name: string) => (c[name] === undefined ? '-' : `${c[name]}`);

function rampTable(r: RampResult, servers: string[], relay?: RampResult): string[] {
  const lines: string[] = [];
  const ratioCol = relay ? ' ours / relay |' : '';
  lines.push(`| target msg/s | sent/s | delivered/s | acked/s | ack p50 / p99 / p99.9 / max ms | end-to-end p50 / p99 / p99.9 / max ms | throttled / lagged | unacked | errors | ${servers.map((s) => `${s} CPU%`).join(' | ')} | generators CPU% |${ratioCol}`);
  lines.push(`|${'---|'.repeat(9 + servers.length + 1 + (relay ? 1 : 0))}`);
  for (const s of r.steps) {
    const a = s.ackMs;
    const e = s.e2eMs;
    const other = relay?.steps.find((x) => x.targetPerSec === s.targetPerSec);
    const ratio = relay ? ` ${other && other.deliveredPerSec > 0 ? (s.deliveredPerSec / other.deliveredPerSec).toFixed(2) : '-'} |` : '';
    lines.push(
      `| ${fmt(s.targetPerSec)} | ${fmt(s.sentPerSec)} | **${fmt(s.deliveredPerSec)}** | ${fmt(s.ackedPerSec)} | ${a.p50} / ${a.p99} / ${a.p999} / ${a.max} | ${e.p50} / ${e.p99} / ${e.p999} / ${e.max} | ${fmt(s.throttled)} / ${fmt(s.lagged)} | ${fmt(s.unacked)} | ${errs(s.errors)} | ${servers.map((n) => cpu(s.cpuPct, n)).join(' | ')} | ${s.generatorCpuPct} |${ratio}`,
    );
  }
  return lines;
}

export function renderMarkdown(r: ChatBenchReport): string {
  const L: string[] = [];
  L.push(`# Chat benchmark — ${r.date}`, '');
  L.push(`Command: \`${r.command}\` (${r.totalSec} s in all; load average at start ${r.loadAverageAtStart.map((x) => x.toFixed(2)).join(', ')}).`, '');
  L.push(`Machine: ${r.machine}; Node ${r.node}. ${r.pinning} MariaDB and Redis: ${r.services}.`);
  L.push(`MariaDB: ${Object.entries(r.mariadb).map(([k, v]) => `${k}=${v}`).join(', ')} — every SendAck follows a COMMIT that was fsynced (group commit).`);
  if (r.disk) {
    const d = r.disk;
    L.push(`Disk: a 4 KiB write + fdatasync in ${d.dir}, back to back for ${d.seconds} s before the scenarios: ${fmt(d.calls)} calls, p50 ${d.p50Ms} / p99 ${d.p99Ms} / p99.9 ${d.p999Ms} / max ${d.maxMs} ms, **${d.over50Ms} over 50 ms** (every ack waits for one such fdatasync: a stalling disk stalls every step).`);
  }
  L.push(`Cluster overrides: \`${JSON.stringify(r.config)}\`. Users are inserted straight into MySQL as friend pairs, tokens issued into Redis; clients log in to the chat servers directly (no gate).`, '');
  if (r.verdicts.length) {
    L.push('## Verdicts', '');
    for (const v of r.verdicts) L.push(`- ${v}`);
    L.push('');
  }
  if (r.layouts) L.push(...layoutsMarkdown(r.layouts));
  if (r.relay) {
    L.push('## Baseline: bare-relay (same load, same generators, one process on the server core)', '');
    L.push(...rampTable(r.relay, ['relay', 'core0', 'core1']));
    L.push('');
    if (r.relayRatio) L.push(`Ratio ours / relay: sustained ${r.relayRatio.sustained ?? '-'}, max delivered ${r.relayRatio.maxDelivered ?? '-'}.`, '');
  }
  if (r.pingpong) {
    const p = r.pingpong;
    const s = p.step;
    L.push('## Ping-pong round trip', '');
    L.push(`${fmt(p.clients)} clients logged in over ${(p.servers ?? ['chat1', 'chat2']).join(' and ')} (${p.connect.wallSec} s to log in all, ${fmt(p.connect.loginsPerSec)}/s); ${p.activePairs} pairs active: A sends every ${p.intervalMs} ms, B replies as soon as the push arrives; round trip = A's send → A receives B's reply as MessagePush (two durable sends, two pushes).`, '');
    L.push('| | count | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms |', '|---|---|---|---|---|---|---|');
    for (const [name, h] of [
      ['round trip, all', s.rttMs],
      ['round trip, same server', s.rttSameMs],
      ['round trip, cross server', s.rttCrossMs],
      ['one way (end-to-end)', s.e2eMs],
      ['ack', s.ackMs],
    ] as const)
      L.push(`| ${name} | ${fmt(h.count)} | ${h.p50} | ${h.p90} | ${h.p99} | ${h.p999} | ${h.max} |`);
    L.push('', `CPU% over the window: ${JSON.stringify(s.cpuPct)}, generators ${s.generatorCpuPct}. MariaDB: ${JSON.stringify(s.db)}. Errors: ${errs(s.errors)}; dropped connections ${s.dropped}.`, '');
  }
  if (r.idle) {
    L.push('## Idle connections (logged in, heartbeats)', '');
    L.push('| servers | target | logged in | generators / source addrs | fill time s | logins/s | login p99 ms | open after hold | dropped | pings / pongs | RSS before → after (MiB) | KiB / connection | server CPU% during hold | errors |');
    L.push('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
    for (const p of r.idle) {
      const rss = p.servers.map((id) => `${id}: ${((p.rssBeforeKib[id] ?? 0) / 1024).toFixed(0)} → ${((p.rssAfterKib[id] ?? 0) / 1024).toFixed(0)}`).join('<br>');
      const c = p.servers.map((id) => `${id} ${cpu(p.hold.cpuPct, id)}`).join(', ');
      L.push(
        `| ${p.servers.join(', ')} | ${fmt(p.target)} | **${fmt(p.connect.loggedIn)}** | ${p.generators} / ${p.sourceAddresses} | ${p.connect.wallSec} | ${fmt(p.connect.loginsPerSec)} | ${p.connect.loginMs.p99} | ${fmt(p.hold.open)} | ${p.hold.dropped} | ${fmt(p.hold.pings)} / ${fmt(p.hold.pongs)} | ${rss} | **${p.kibPerConnection}** | ${c} | ${errs({ ...p.connect.errors, ...p.hold.errors })} |`,
      );
    }
    L.push('', `Heartbeat ${r.idle[0]?.connect.heartbeatSec ?? '?'} s; each hold lasts long enough for every connection to ping at least once. KiB/connection = growth of the servers' RSS / logged-in connections.`, '');
  }
  if (r.profile) {
    const p = r.profile;
    const s = p.summary;
    L.push(`## Where the time goes (chat1 under \`--cpu-prof\`, ${fmt(p.ratePerSec)} msg/s offered for ${p.seconds} s)`, '');
    L.push(`During the profile: delivered ${fmt(p.step.deliveredPerSec)}/s, ack p99 ${p.step.ackMs.p99} ms, CPU% ${JSON.stringify(p.step.cpuPct)} (the profiler itself costs some). ${fmt(s.samples)} samples${s.windowed ? ' inside the load window' : ' (whole profile; the window did not line up)'}: busy ${fmt(Math.round(s.busyMs))} ms, idle ${fmt(Math.round(s.idleMs))} ms. Percentages are of busy time. Profile: \`${p.profileFile}\`.`, '');
    L.push('Self time by area, and the same busy time charged to the nearest package frame on the stack (so the node internals, native code and syscalls a package triggers count for it):', '');
    L.push('| area | self ms | self % | | charged to package | ms | % |', '|---|---|---|---|---|---|---|');
    const rows = Math.min(14, Math.max(s.areas.length, s.attributed.length));
    for (let i = 0; i < rows; i++) {
      const a = s.areas[i];
      const b = s.attributed[i];
      L.push(`| ${a ? `${a.area} | ${fmt(a.selfMs)} | ${a.pct}` : ' | | '} | | ${b ? `${b.area} | ${fmt(b.ms)} | ${b.pct}` : ' | | '} |`);
    }
    L.push('', 'Top self-time functions:', '', '| # | function | where | area | self ms | % of busy |', '|---|---|---|---|---|---|');
    s.top.forEach((row, i) => L.push(`| ${i + 1} | \`${row.function}\` | ${row.location || '-'} | ${row.area} | ${fmt(row.selfMs)} | ${row.pct} |`));
    L.push('');
    for (const c of s.callers) {
      if (c.from.length === 0) continue;
      L.push(`- \`${c.function}\` (${fmt(c.selfMs)} ms) is called from: ${c.from.map((f) => `${f.caller} ${fmt(f.ms)} ms`).join('; ')}`);
    }
    const m = p.mysql;
    L.push('', `MariaDB meanwhile (${m.samples} samples of PROCESSLIST, every 20 ms, both chat servers' connections): ${m.meanActive} statements running on average out of ${m.meanConnections} connections; MariaDB CPU ${p.step.cpuPct.mariadb ?? '-'}%; ${p.step.db ? `${p.step.db.commitsPerSec} COMMITs/s of ${p.step.db.msgsPerCommit} messages each` : ''}.`, '');
    L.push('| statement (first 60 chars) [state] | share of running samples % |', '|---|---|');
    for (const t of m.top) L.push(`| \`${t.statement.replace(/\|/g, '\\|')}\` | ${t.pct} |`);
    L.push('');
  }
  return L.join('\n');
}
