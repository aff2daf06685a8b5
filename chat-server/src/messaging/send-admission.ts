import { readTurns } from '../session/read-throttle';

export interface SendAdmissionOptions {
  /** How often the server's state is judged (chat.admission_window_ms). */
  windowMs: number;
  /** Whether the server fell behind reading its sockets in the window that just ended; asked once per window. */
  behind: () => boolean;
  /** Sends per second admitted at least, however far behind the server is. */
  minPerSec: number;
  /** Clock in ms (tests pass their own). */
  now?: () => number;
  /** Adjust on a timer (default); tests call adjust() themselves. */
  timer?: boolean;
}

/**
 * How many sends per second the server takes on while it is behind reading its sockets. A send
 * that is admitted costs the server (and the database beside it) some 50–100 µs; one that is
 * refused costs a few. When more arrives than the core can take, admitting as much as the
 * database could commit leaves too little CPU to read the sockets: requests wait unread in the
 * kernel's buffers, every answer is late, and that backlog is still being worked off long after
 * the flood ends.
 *
 * So, like TCP's congestion control (AIMD): each window in which the server was behind, the
 * admitted rate is cut to 3/4 of what was admitted in it; each window in which it kept up, the cap
 * grows by a tenth, and it is lifted altogether once it is far above what is being used. While no
 * cap is set, admitting costs a counter increment. The lane bound (commit_max_wait_ms) stays the
 * guard of the database; this one guards the CPU.
 */
export class SendAdmission {
  /** Sends per second allowed now; Infinity while the server keeps up. */
  private cap = Number.POSITIVE_INFINITY;
  private tokens = 0;
  private refilledAt: number;
  private admitted = 0;
  private readonly timer: NodeJS.Timeout | undefined;
  private readonly now: () => number;

  constructor(private readonly options: SendAdmissionOptions) {
    this.now = options.now ?? Date.now;
    this.refilledAt = this.now();
    if (options.timer !== false) {
      this.timer = setInterval(() => this.adjust(), options.windowMs);
      this.timer.unref();
    }
  }

  /** Sends per second allowed now (Infinity: no cap). */
  get capPerSec(): number {
    return this.cap;
  }

  /** Whether one more send may be taken on now; counts it if so. */
  tryAdmit(): boolean {
    if (this.cap !== Number.POSITIVE_INFINITY) {
      const t = this.now();
      // A burst of at most one window's worth.
      this.tokens = Math.min(this.cap * (this.options.windowMs / 1000), this.tokens + ((t - this.refilledAt) * this.cap) / 1000);
      this.refilledAt = t;
      if (this.tokens < 1) return false;
      this.tokens -= 1;
    }
    this.admitted++;
    return true;
  }

  /** How long a refused sender should wait: a few windows, time for the cap to move. */
  get retryAfterMs(): number {
    return 4 * this.options.windowMs;
  }

  /** Judges the window that just ended. */
  adjust(): void {
    const admittedPerSec = (this.admitted * 1000) / this.options.windowMs;
    this.admitted = 0;
    if (this.options.behind()) {
      this.cap = Math.max(this.options.minPerSec, 0.75 * Math.min(this.cap, admittedPerSec));
      this.tokens = Math.min(this.tokens, this.cap * (this.options.windowMs / 1000));
      this.refilledAt = this.now();
    } else if (this.cap !== Number.POSITIVE_INFINITY) {
      this.cap = this.cap * 1.1 + this.options.minPerSec;
      // Far above what was used: the cap no longer shapes anything.
      if (this.cap > 4 * Math.max(admittedPerSec, this.options.minPerSec)) this.cap = Number.POSITIVE_INFINITY;
    }
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
  }
}

/**
 * SendAdmission's `behind` for a live server: true when at least `share` of the event-loop
 * turns since the last call ran out of read budget (read-throttle.ts) — more was waiting in the
 * sockets than a turn may read. A direct sign of input piling up, unlike CPU load, which a
 * database on the same core also drives while the server still keeps up.
 */
export function behindReading(share: number): () => boolean {
  let last = readTurns();
  return () => {
    const now = readTurns();
    const turns = now.turns - last.turns;
    const exhausted = now.exhausted - last.exhausted;
    last = now;
    return turns > 0 && exhausted / turns >= share;
  };
}
