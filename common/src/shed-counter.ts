import type { Logger } from './logger';

/**
 * Counts work shed under overload (sends refused, pushes dropped) and says so in the log at most
 * once per interval: one warn line with how many since the last line and in all, never one line
 * per item, so a flood cannot turn into a flood of log lines.
 */
export class ShedCounter {
  private count = 0;
  private sinceLog = 0;
  private lastLogAt = 0;

  constructor(
    private readonly logger: Logger,
    private readonly what: string,
    private readonly event: string,
    private readonly intervalMs = 1000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts `n` more; `fields` go into the log line if this one is logged. */
  add(n: number, fields: Record<string, unknown> = {}): void {
    if (n <= 0) return;
    this.count += n;
    this.sinceLog += n;
    const t = this.now();
    if (t - this.lastLogAt < this.intervalMs) return;
    this.logger.warn({ ...fields, event: this.event, shed: this.sinceLog, shedTotal: this.count }, this.what);
    this.lastLogAt = t;
    this.sinceLog = 0;
  }

  /** Everything counted since this was made. */
  get total(): number {
    return this.count;
  }
}
