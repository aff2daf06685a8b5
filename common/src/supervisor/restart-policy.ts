/** When a crashed server is started again, and when the supervisor stops trying. */
export interface RestartPolicyOptions {
  /** Delay before the first restart after a crash. */
  initialDelayMs: number;
  /** Upper bound of the delay, however many crashes came before. */
  maxDelayMs: number;
  /** Each further consecutive crash multiplies the delay by this. */
  factor: number;
  /** A run at least this long counts as healthy: the next crash starts the backoff from the beginning. */
  stableAfterMs: number;
  /** Consecutive crashes (none of them after a healthy run) tolerated; one more and the server is given up. */
  maxCrashes: number;
}

export const DEFAULT_RESTART_POLICY: Readonly<RestartPolicyOptions> = Object.freeze({
  initialDelayMs: 1000,
  maxDelayMs: 30_000,
  factor: 2,
  stableAfterMs: 60_000,
  maxCrashes: 5,
});

export type RestartDecision =
  | { action: 'restart'; delayMs: number; /** 1 for the first restart of a crash series. */ attempt: number; /** The crash series started over after a healthy run. */ reset: boolean }
  | { action: 'give-up'; crashes: number };

/**
 * Exponential backoff for one supervised server. Pure: the caller reports each crash with how long the
 * process had been up, so tests need no clock and the supervisor needs no timer to reset the backoff.
 */
export class RestartPolicy {
  private crashes = 0;
  readonly options: Readonly<RestartPolicyOptions>;

  constructor(options: Partial<RestartPolicyOptions> = {}) {
    const o = { ...DEFAULT_RESTART_POLICY, ...options };
    for (const [key, value] of Object.entries(o)) {
      if (!Number.isFinite(value) || value < 0) throw new RangeError(`restart policy: ${key} must be a finite number ≥ 0, got ${value}`);
    }
    if (o.factor < 1) throw new RangeError(`restart policy: factor must be ≥ 1, got ${o.factor}`);
    this.options = Object.freeze(o);
  }

  /** Consecutive crashes in the current series. */
  get crashCount(): number {
    return this.crashes;
  }

  /** The process exited by itself after `uptimeMs` of running: restart it (after a delay) or give up. */
  onCrash(uptimeMs: number): RestartDecision {
    const reset = this.crashes > 0 && uptimeMs >= this.options.stableAfterMs;
    if (uptimeMs >= this.options.stableAfterMs) this.crashes = 0;
    this.crashes++;
    if (this.crashes > this.options.maxCrashes) return { action: 'give-up', crashes: this.crashes };
    const delayMs = Math.min(this.options.maxDelayMs, Math.round(this.options.initialDelayMs * this.options.factor ** (this.crashes - 1)));
    return { action: 'restart', delayMs, attempt: this.crashes, reset };
  }
}
