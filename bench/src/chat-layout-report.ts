/** Markdown of the chat benchmark's headline: one table per layout, the idle cost and the storage check. */
import type { LayoutResult } from './chat-layouts';
import { MAX_P99_MS, MIN_DELIVERED_SHARE, MIN_SENT_SHARE } from './sustainable';

const fmt = (n: number | undefined) => (n === undefined || Number.isNaN(n) ? '-' : n.toLocaleString('en-US'));

export function layoutsMarkdown(layouts: readonly LayoutResult[]): string[] {
  const L: string[] = [];
  L.push('## Throughput (1:1 messages, durable, acked) — all server processes on core 0', '');
  L.push(
    `Open-loop generator on core 1; every user sends to its partner. A step is **sustainable** when the generator sent ≥ ${MIN_SENT_SHARE * 100}% of the target, recipients got ≥ ${MIN_DELIVERED_SHARE * 100}% of what was sent (pushes by the end of the step's 3 s drain), p99 < ${MAX_P99_MS} ms end to end AND for the SendAck, and nothing failed (errors, unacked sends, dropped connections). Delivered = MessagePush arrivals per second after the first second of the step; ack = SendReq written → SendAck read; end-to-end = SendReq written → MessagePush read (late ones included, up to a 3 s drain). all servers = chat servers + gate + status + verify + MariaDB + Redis (percent of one core); µs/msg = their CPU per delivered message; core0 = everything on the server core (softirq included); not ours = every other process on the machine.`,
    '',
  );
  for (const l of layouts) {
    L.push(`### ${l.name} — ${l.servers.join(', ')}`, '');
    L.push(`${fmt(l.users)} users (${fmt(l.users / 2)} pairs${l.servers.length > 1 ? ', half of them with partners on different chat servers' : ''}); login of all: ${l.connect.wallSec} s. **Idle cost** (everyone logged in, heartbeats only, ${l.idle.seconds} s): all servers **${l.idle.serversPct}%** of a core (${Object.entries(l.idle.cpuPct).map(([k, v]) => `${k} ${v}`).join(', ')}); not ours ${l.idle.machine.othersPct}%.`, '');
    L.push('| target msg/s | sent/s | delivered/s | ack p50 / p99 / p99.9 ms | end-to-end p50 / p99 / p99.9 ms | all servers CPU% | µs/msg (all servers) | core0 busy % | µs/msg (core0) | chat servers CPU% | MariaDB / Redis CPU% | generator CPU% | not ours % | msgs per COMMIT | sustainable |');
    L.push(`|${'---|'.repeat(15)}`);
    for (const s of l.steps) {
      const chats = l.servers.map((id) => `${s.cpuPct[id] ?? '-'}`).join(' / ');
      L.push(
        `| ${fmt(s.targetPerSec)} | ${fmt(s.sentPerSec)} | **${fmt(s.deliveredPerSec)}** | ${s.ackMs.p50} / ${s.ackMs.p99} / ${s.ackMs.p999} | ${s.e2eMs.p50} / ${s.e2eMs.p99} / ${s.e2eMs.p999} | ${s.serversPct} | ${s.serverUsPerMsg} | ${s.cpuPct.core0 ?? '-'} | ${s.core0UsPerMsg} | ${chats} | ${s.cpuPct.mariadb ?? '-'} / ${s.cpuPct.redis ?? '-'} | ${s.generatorCpuPct} | ${s.machine.othersPct} | ${s.db?.msgsPerCommit ?? '-'} | ${s.sustainable ? '**yes**' : `no (${s.misses.join('; ')})`} |`,
      );
    }
    L.push('');
    const b = l.best;
    L.push(b ? `**Sustainable: ${fmt(b.deliveredPerSec)} msg/s** (the ${fmt(b.targetPerSec)} step; end-to-end p99 ${b.e2eP99} ms, ack p99 ${b.ackP99} ms).` : '**No step was sustainable.**', '');
    const st = l.storage;
    L.push(`After the ramp: ${fmt(st.sent)} sent, ${fmt(st.acked)} acked, ${fmt(st.refused)} refused, ${fmt(st.pushes)} pushed to the partner, ${fmt(st.stored)} stored rows → ${st.agree ? 'acks, pushes and stored rows **agree**' : `**DISAGREE**: ${st.lost} acked but not stored`}.`, '');
  }
  return L;
}
