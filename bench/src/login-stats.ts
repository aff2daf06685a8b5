/** Measuring helpers for the login benchmark: HTTP logins, latency percentiles, CPU time of processes. */
import { request, type Agent } from 'node:http';
import { cpuSec } from './proc-stats';

export interface LoginOutcome {
  status: number;
  ms: number;
  /** Set when no HTTP answer came back (connection refused/reset, timeout). */
  error?: string;
}

/** One POST /api/login; never rejects — failures are outcomes. */
export function postLogin(agent: Agent, host: string, port: number, account: string, password: string, timeoutMs = 120_000): Promise<LoginOutcome> {
  const body = JSON.stringify({ account, password });
  const t0 = process.hrtime.bigint();
  const elapsed = () => Number(process.hrtime.bigint() - t0) / 1e6;
  return new Promise((resolve) => {
    const req = request(
      { agent, host, port, method: 'POST', path: '/api/login', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }, timeout: timeoutMs },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: elapsed() }));
        res.on('error', (err) => resolve({ status: 0, ms: elapsed(), error: err.message }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (err) => resolve({ status: 0, ms: elapsed(), error: (err as NodeJS.ErrnoException).code ?? err.message }));
    req.end(body);
  });
}

export interface LatencySummary {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

export function summarize(ms: number[]): LatencySummary {
  const sorted = [...ms].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? 0;
  const round = (x: number) => Math.round(x * 10) / 10;
  return {
    count: sorted.length,
    p50: round(at(0.5)),
    p90: round(at(0.9)),
    p99: round(at(0.99)),
    max: round(sorted[sorted.length - 1] ?? 0),
    mean: round(sorted.reduce((a, b) => a + b, 0) / Math.max(1, sorted.length)),
  };
}

/** Counts of outcomes by HTTP status (or error name when there was no answer). */
export function statusCounts(outcomes: LoginOutcome[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const o of outcomes) {
    const key = o.error ? `error:${o.error}` : String(o.status);
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

/** CPU seconds used by this process (the load generator) so far. */
export function ownCpuSec(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/** CPU seconds per named process between `start()` and `stop()`. */
export class CpuMeter {
  private before = new Map<string, number>();
  private ownBefore = 0;

  constructor(private readonly pids: Record<string, number>) {}

  start(): void {
    this.ownBefore = ownCpuSec();
    for (const [name, pid] of Object.entries(this.pids)) this.before.set(name, cpuSec(pid));
  }

  stop(): { generator: number; servers: Record<string, number> } {
    const servers: Record<string, number> = {};
    for (const [name, pid] of Object.entries(this.pids)) servers[name] = Math.round((cpuSec(pid) - (this.before.get(name) ?? 0)) * 100) / 100;
    return { generator: Math.round((ownCpuSec() - this.ownBefore) * 100) / 100, servers };
  }
}
