/**
 * What the benchmarks read about other processes: CPU time and RSS from /proc, the pids of
 * the MariaDB and Redis servers (found by their listening port), and CPU pinning with taskset.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

let clockTicks: number | undefined;
function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** user + system CPU seconds of a process so far (fields 14 and 15 of /proc/<pid>/stat); NaN when gone. */
export function cpuSec(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond();
  } catch {
    return Number.NaN;
  }
}

/**
 * CPU seconds per thread name of a process (/proc/<pid>/task/<tid>/stat, summed by comm), the thread
 * whose id is the pid named "main" (Node 20 leaves the others named after the process, "node").
 * Threads that ended meanwhile are not counted.
 */
export function threadCpuSec(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  let tids: string[] = [];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const comm = tid === String(pid) ? 'main' : stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const sec = (Number(fields[11]) + Number(fields[12])) / ticksPerSecond();
      out.set(comm, (out.get(comm) ?? 0) + sec);
    } catch {
      // the thread ended
    }
  }
  return out;
}

/** Resident set size in KiB (VmRSS); NaN when the process is gone. */
export function rssKib(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** Open file descriptors of a process (sockets included). */
export function fdCount(pid: number): number {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return Number.NaN;
  }
}

function listeningInodes(port: number): Set<string> {
  const inodes = new Set<string>();
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length > 9 && f[1]?.endsWith(`:${hex}`) && f[3] === '0A') inodes.add(f[9] as string);
    }
  }
  return inodes;
}

/** The pid listening on a TCP port, looked for among processes whose command name is in `comms`. */
export function pidListeningOn(port: number, comms: readonly string[]): number | undefined {
  const inodes = listeningInodes(port);
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let comm = '';
    try {
      comm = readFileSync(`/proc/${entry}/comm`, 'utf8').trim();
    } catch {
      continue;
    }
    if (!comms.includes(comm)) continue;
    try {
      for (const fd of readdirSync(`/proc/${entry}/fd`)) {
        const link = readlinkSync(`/proc/${entry}/fd/${fd}`);
        const m = /^socket:\[(\d+)\]$/.exec(link);
        if (m && inodes.has(m[1] as string)) return Number(entry);
      }
    } catch {
      continue;
    }
  }
  return undefined;
}

/** Pins every thread of a process to `cores` (taskset -a -p -c); false when taskset is missing or fails. */
export function pin(pid: number, cores: string): boolean {
  try {
    execFileSync('taskset', ['-a', '-p', '-c', cores, String(pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export function hasTaskset(): boolean {
  try {
    execFileSync('taskset', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Busy and total jiffies per core (cpu0, cpu1, …) from /proc/stat; busy excludes idle and iowait. */
export function coreTicks(): Map<string, { busy: number; total: number }> {
  const out = new Map<string, { busy: number; total: number }>();
  try {
    for (const line of readFileSync('/proc/stat', 'utf8').split('\n')) {
      const m = /^(cpu\d+)\s+(.*)$/.exec(line);
      if (!m) continue;
      const f = (m[2] as string).split(/\s+/).map(Number);
      const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
      out.set(m[1] as string, { busy: total - (f[3] ?? 0) - (f[4] ?? 0), total });
    }
  } catch {
    // not Linux: no per-core figures
  }
  return out;
}

/**
 * CPU seconds per named process between start() and stop(), as percent of one core over the wall
 * time, plus each core's busy percent (`core0`, `core1`, …: everything that ran there, kernel included).
 */
export class CpuWindow {
  private before = new Map<string, number>();
  private cores = new Map<string, { busy: number; total: number }>();
  private t0 = 0;

  constructor(private readonly pids: () => Record<string, number>) {}

  start(): void {
    this.t0 = performance.now();
    this.before.clear();
    for (const [name, pid] of Object.entries(this.pids())) this.before.set(name, cpuSec(pid));
    this.cores = coreTicks();
  }

  /** Percent of one core per process (100 = one core busy the whole window). */
  stop(): Record<string, number> {
    const wall = (performance.now() - this.t0) / 1000;
    const out: Record<string, number> = {};
    for (const [name, pid] of Object.entries(this.pids())) {
      const before = this.before.get(name);
      const used = cpuSec(pid) - (before ?? Number.NaN);
      if (Number.isFinite(used)) out[name] = Math.round((used / wall) * 1000) / 10;
    }
    for (const [core, now] of coreTicks()) {
      const was = this.cores.get(core);
      if (was && now.total > was.total) out[core.replace('cpu', 'core')] = Math.round(((now.busy - was.busy) / (now.total - was.total)) * 1000) / 10;
    }
    return out;
  }
}
