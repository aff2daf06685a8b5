/** Markdown rendering of a group benchmark run (bench/results/group-<timestamp>.md). */
import type { GroupBenchArgs, GroupScenarioResult, GroupStep } from './group-scenarios';

export interface GroupBenchReport {
  date: string;
  command: string;
  machine: string;
  node: string;
  loadAverageAtStart: number[];
  pinning: string;
  services: string;
  mariadb: Record<string, string>;
  config: Record<string, Record<string, string | number | boolean>>;
  args: GroupBenchArgs;
  targets: { deliveriesPerSec: number; p99Ms: number };
  scenarios: GroupScenarioResult[];
  verdicts: string[];
  totalSec: number;
}

const fmt = (n: number | null | undefined) => (n === undefined || n === null || Number.isNaN(n) ? '-' : n.toLocaleString('en-US'));
const ms = (n: number | null) => (n === null ? '∞' : `${n}`);
const errs = (e: Record<string, number>) => (Object.keys(e).length ? Object.entries(e).map(([k, v]) => `${k}: ${v}`).join(', ') : '0');
const pct = (c: Record<string, number>, name: string) => (c[name] === undefined ? '-' : `${c[name]}`);

function stepRows(steps: readonly GroupStep[]): string[] {
  const L: string[] = [];
  L.push('| target msg/s (deliveries/s) | sent/s | acked/s | **member deliveries/s** | delivered % | ack p50 / p99 ms | last member p50 / p99 / p99.9 ms | per delivery p50 / p99 ms | sustainable |');
  L.push('|---|---|---|---|---|---|---|---|---|');
  for (const s of steps) {
    const l = s.lastMemberMs;
    L.push(
      `| ${fmt(s.targetPerSec)} (${fmt(s.targetDeliveriesPerSec)}) | ${fmt(s.sentPerSec)} | ${fmt(s.ackedPerSec)} | **${fmt(s.deliveriesPerSec)}** | ${s.deliveredPct} | ${s.ackMs.p50} / ${s.ackMs.p99} | ${ms(l.p50)} / ${ms(l.p99)} / ${ms(l.p999)} | ${s.deliveryMs.p50} / ${s.deliveryMs.p99} | ${s.sustainable ? '**yes**' : `no: ${s.misses.join('; ')}`}${s.disturbed ? ` — **disturbed**: other processes used ${s.machine.othersPct}% of a core` : ''} |`,
    );
  }
  return L;
}

function cpuRows(steps: readonly GroupStep[]): string[] {
  const L: string[] = [];
  L.push('| target msg/s | chat1 | chat2 | MariaDB | Redis | status | all servers | generators (self-measured) | core0 / core1 busy | of which softirq, steal | not ours | server CPU µs per delivery | COMMITs/s | msgs per COMMIT |');
  L.push('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const s of steps) {
    const c = s.cpuPct;
    const k = s.machine.cores;
    const irq = ['core0', 'core1'].map((n) => (k[n] ? `${k[n].softirq}, ${k[n].steal}` : '-')).join(' / ');
    const others = `${s.machine.othersPct}${s.machine.topOthers.length ? ` (${s.machine.topOthers.join(', ')})` : ''}`;
    L.push(
      `| ${fmt(s.targetPerSec)} | ${pct(c, 'chat1')} | ${pct(c, 'chat2')} | ${pct(c, 'mariadb')} | ${pct(c, 'redis')} | ${pct(c, 'status')} | ${pct(c, 'servers')} | ${pct(c, 'generators')} (${s.generatorSelfCpuPct}) | ${pct(c, 'core0')} / ${pct(c, 'core1')} | ${irq} | ${others} | **${s.serverUsPerDelivery}** | ${fmt(s.db.commitsPerSec)} | ${s.db.msgsPerCommit} |`,
    );
  }
  return L;
}

function otherRows(steps: readonly GroupStep[]): string[] {
  const L: string[] = [];
  L.push('| target msg/s | sent | expected deliveries | delivered | messages not reaching every member | unacked | throttled / lagged | late pushes of earlier steps | DeliveredAck frames | dropped connections | errors | drain s |');
  L.push('|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const s of steps) {
    L.push(
      `| ${fmt(s.targetPerSec)} | ${fmt(s.sent)} | ${fmt(s.expected)} | ${fmt(s.delivered)} | ${fmt(s.lastMemberMs.incomplete)} | ${fmt(s.unacked)} | ${fmt(s.throttled)} / ${fmt(s.lagged)} | ${fmt(s.stalePushes)} | ${fmt(s.deliveredAcks)} | ${s.dropped} | ${errs(s.errors)} | ${s.drainSec} |`,
    );
  }
  return L;
}

export function renderGroupMarkdown(r: GroupBenchReport): string {
  const L: string[] = [];
  L.push(`# Group fan-out benchmark — ${r.date}`, '');
  L.push(`Command: \`${r.command}\` (${r.totalSec} s in all; load average at start ${r.loadAverageAtStart.map((x) => x.toFixed(2)).join(', ')}).`, '');
  L.push(`Machine: ${r.machine}; Node ${r.node}. ${r.pinning}`, '');
  L.push(`MariaDB and Redis: ${r.services}. MariaDB: ${Object.entries(r.mariadb).map(([k, v]) => `${k}=${v}`).join(', ')}.`, '');
  L.push(`Cluster overrides: \`${JSON.stringify(r.config)}\`. Groups are written straight into MySQL as GroupStore stores them; clients log in to the chat servers with issued tokens. Steps of ${r.args.stepSec} s after a ${r.args.warmupSec} s warm-up; body ${r.args.bodyBytes} bytes; DeliveredAck every ${r.args.deliveredAckMs} ms per member; at most ${r.args.maxOutstanding} unacked sends per sender; drain up to ${r.args.drainSec} s.`, '');
  L.push(
    `A step is **sustainable** when delivered ≥ 99% of expected (sent × (members − 1)), ack p99 and send → last member p99 ≤ ${r.targets.p99Ms} ms, and the generators really sent ≥ 95% of the target rate. Last member = the latest MessagePush arrival of a message over all its members (∞ when some member never got it). Member deliveries/s = MessagePush arrivals of the step's messages per second over the settled part of the window (after the first second).`,
    '',
  );
  if (r.verdicts.length) {
    L.push('## Verdicts', '');
    for (const v of r.verdicts) L.push(`- ${v}`);
    L.push('');
  }
  for (const s of r.scenarios) {
    L.push(`## \`${s.name}\`: ${s.groups} group(s) of ${s.membersPerGroup} members, ${s.sendersPerGroup} sender(s) per group`, '');
    L.push(`${fmt(s.members)} member connections, half on chat1 and half on chat2 in every group; logged in ${fmt(s.connect.loggedIn)} / ${fmt(s.connect.attempted)} in ${s.connect.wallSec} s${Object.keys(s.connect.errors).length ? ` (errors ${errs(s.connect.errors)})` : ''}. Each message yields ${s.membersPerGroup - 1} member deliveries.`, '');
    L.push(...stepRows(s.steps), '');
    L.push('CPU, percent of one core over the sending window ("not ours": every other process on the machine, busiest named):', '');
    L.push(...cpuRows(s.steps), '');
    L.push(...otherRows(s.steps), '');
    const st = s.storage;
    L.push(`Storage check after the run: ${fmt(st.acked)} acked messages, ${fmt(st.stored)} stored text messages in ${st.conversations} conversation(s); **lost (acked but not stored): ${st.lost}**; stored but not acked within the drain: ${st.storedNotAcked}.`, '');
    L.push(s.best ? `**Best sustainable: ${fmt(s.best.deliveriesPerSec)} member deliveries/s** (the ${fmt(s.best.targetPerSec)} msg/s step).` : '**No step was sustainable.**', '');
  }
  return L.join('\n');
}
