import { readFileSync } from 'node:fs';

/** Resident set size of a process in bytes (Linux /proc), or undefined when it is gone. */
export function rssOf(pid: number): number | undefined {
  try {
    const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb === undefined ? undefined : Number(kb) * 1024;
  } catch {
    return undefined;
  }
}

export interface RssSummary {
  startMb: number;
  maxMb: number;
  endMb: number;
  samples: number;
}

/** Samples the RSS of a few processes every `intervalMs` until stopped. */
export class RssSampler {
  private readonly series = new Map<string, number[]>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly pids: Record<string, number>,
    intervalMs = 250,
  ) {
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
  }

  private sample(): void {
    for (const [name, pid] of Object.entries(this.pids)) {
      const rss = pid === process.pid ? process.memoryUsage().rss : rssOf(pid);
      if (rss === undefined) continue;
      let s = this.series.get(name);
      if (!s) this.series.set(name, (s = []));
      s.push(rss);
    }
  }

  stop(): Record<string, RssSummary> {
    clearInterval(this.timer);
    this.sample();
    const mb = (b: number) => Math.round((b / 1048576) * 10) / 10;
    return Object.fromEntries(
      [...this.series].map(([name, s]) => [name, { startMb: mb(s[0] ?? 0), maxMb: mb(Math.max(...s)), endMb: mb(s.at(-1) ?? 0), samples: s.length }]),
    );
  }
}
