import type { DecodeFuzzSummary } from '@parley/protocol/fuzz';
import type { LiveFuzzReport } from '@parley/e2e/fuzz';

type Tallied<T> = Omit<T, 'tally'> & { tally: Record<string, unknown> };

export interface FuzzReport {
  seed: number;
  date: string;
  totalSec: number;
  command: string;
  offline: DecodeFuzzSummary;
  live: Omit<LiveFuzzReport, 'chat' | 'gate'> & { chat: Tallied<LiveFuzzReport['chat']>; gate: Tallied<LiveFuzzReport['gate']> };
  raisedLimits: unknown;
}

const fmt = (n: number) => n.toLocaleString('en');
const codes = (c: unknown) =>
  Object.entries(c as Record<string, number>)
    .map(([k, v]) => `${k} ${fmt(v)}`)
    .join(', ');

/** The markdown table of a fuzz run (bench/results/fuzz-*.md). */
export function renderFuzzMarkdown(r: FuzzReport): string {
  const o = r.offline;
  const chat = r.live.chat;
  const gate = r.live.gate;
  const findings = (t: Record<string, unknown>) => (t.findings as string[]).length;
  const lines = [
    `# Fuzz run, seed ${r.seed} (${r.date.slice(0, 10)})`,
    '',
    `\`${r.command}\` — ${r.totalSec} s in all.`,
    '',
    '| part | inputs | time | crashes / findings | hangs (over the bound) | slowest input | p99 | memory |',
    '|---|---|---|---|---|---|---|---|',
    `| TLV decoder + schemas, in process | ${fmt(o.inputs)} (${fmt(o.megabytes)} MB, ${fmt(o.frames)} frames, ${fmt(o.accepted)} valid) | ${o.seconds} s | ${o.crashes.length} | ${o.overBudget} over 100 ms | ${o.maxMs} ms (${o.slowest.kind}, ${fmt(o.slowest.bytes)} B) | – | RSS ${o.rssStartMb} → max ${o.rssMaxMb} MB |`,
    `| chat server over TCP | ${fmt(chat.inputs)} (${fmt(chat.loggedIn)} logged in) | ${r.live.seconds} s (with the gate) | ${findings(chat.tally)} | ${chat.timeouts} | ${chat.maxMs} ms | ${chat.p99Ms} ms | chat1 RSS ${r.live.rss.chat1?.startMb} → max ${r.live.rss.chat1?.maxMb} → ${r.live.rss.chat1?.endMb} MB |`,
    `| gate, every endpoint | ${fmt(gate.inputs)} | (same) | ${findings(gate.tally)} | ${gate.timeouts} | ${gate.maxMs} ms | ${gate.p99Ms} ms | gate RSS ${r.live.rss.gate?.startMb} → max ${r.live.rss.gate?.maxMb} → ${r.live.rss.gate?.endMb} MB |`,
    '',
    `Servers alive and serving a login at the end: **${r.live.serversAlive ? 'yes' : 'NO'}**.`,
    '',
    `- Inputs by kind (in process): ${codes(o.kinds)}.`,
    `- Decoder refusals: ${codes(o.codes)}.`,
    `- Chat server answers: ${codes(chat.tally.codes)}.`,
    `- Gate answers: ${codes(gate.tally.codes)}.`,
  ];
  const all = [...o.crashes.map((c) => `in process #${c.index} ${c.kind}: ${c.crash} (${c.hexPrefix})`), ...(chat.tally.findings as string[]), ...(gate.tally.findings as string[])];
  lines.push('', all.length === 0 ? 'No findings.' : `Findings:\n\n${all.map((f) => `- ${f}`).join('\n')}`);
  return `${lines.join('\n')}\n`;
}
