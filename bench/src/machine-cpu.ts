/**
 * What else used the CPU during a benchmark window: every process' CPU time from /proc/<pid>/stat
 * (so processes that are not ours — other work on a shared machine — show up by name), and each
 * core's user / system / softirq / steal time from /proc/stat (steal: time the hypervisor gave to
 * someone else; softirq: e.g. loopback packet processing, charged to no process). Linux only;
 * elsewhere the figures are empty.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { cpuSec } from './proc-stats';

interface CoreSample {
  user: number;
  system: number;
  softirq: number;
  steal: number;
  total: number;
}

function coreSamples(): Map<string, CoreSample> {
  const out = new Map<string, CoreSample>();
  try {
    for (const line of readFileSync('/proc/stat', 'utf8').split('\n')) {
      const m = /^cpu(\d+)\s+(.*)$/.exec(line);
      if (!m) continue;
      const f = (m[2] as string).split(/\s+/).map(Number);
      const at = (i: number) => f[i] ?? 0;
      out.set(`core${m[1]}`, { user: at(0) + at(1), system: at(2) + at(5), softirq: at(6), steal: at(7), total: f.slice(0, 8).reduce((a, b) => a + b, 0) });
    }
  } catch {
    // not Linux
  }
  return out;
}

function processSamples(): Map<number, { comm: string; sec: number }> {
  const out = new Map<number, { comm: string; sec: number }>();
  let entries: string[] = [];
  try {
    entries = readdirSync('/proc');
  } catch {
    return out;
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    const pid = Number(e);
    const sec = cpuSec(pid);
    if (!Number.isFinite(sec)) continue;
    let comm = '?';
    try {
      comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
    } catch {
      continue;
    }
    out.set(pid, { comm, sec });
  }
  return out;
}

export interface MachineCpu {
  /** Per core, percent of the window: user, system (irq included), softirq, steal. */
  cores: Record<string, { user: number; system: number; softirq: number; steal: number }>;
  /** CPU of every process not in `ours`, percent of one core. */
  othersPct: number;
  /** The busiest of them: "comm (pid) pct". */
  topOthers: string[];
}

const round1 = (x: number) => Math.round(x * 10) / 10;

export class MachineWindow {
  private cores = new Map<string, CoreSample>();
  private procs = new Map<number, { comm: string; sec: number }>();
  private t0 = 0;

  start(): void {
    this.t0 = performance.now();
    this.cores = coreSamples();
    this.procs = processSamples();
  }

  /** `ours`: the pids whose CPU is reported elsewhere (servers, generators, this process). */
  stop(ours: ReadonlySet<number>): MachineCpu {
    const wall = (performance.now() - this.t0) / 1000;
    const cores: MachineCpu['cores'] = {};
    for (const [core, now] of coreSamples()) {
      const was = this.cores.get(core);
      const total = was ? now.total - was.total : 0;
      if (!was || total <= 0) continue;
      const p = (k: keyof CoreSample) => round1(((now[k] - was[k]) / total) * 100);
      cores[core] = { user: p('user'), system: p('system'), softirq: p('softirq'), steal: p('steal') };
    }
    const others: { name: string; pct: number }[] = [];
    for (const [pid, now] of processSamples()) {
      if (ours.has(pid)) continue;
      const used = now.sec - (this.procs.get(pid)?.sec ?? 0);
      if (used > 0) others.push({ name: `${now.comm} (${pid})`, pct: round1((used / wall) * 100) });
    }
    others.sort((a, b) => b.pct - a.pct);
    return {
      cores,
      othersPct: round1(others.reduce((a, o) => a + o.pct, 0)),
      topOthers: others.slice(0, 4).filter((o) => o.pct >= 1).map((o) => `${o.name} ${o.pct}`),
    };
  }
}
