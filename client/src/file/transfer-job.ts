import type { TransferView } from '../client-api';

/** Why an attempt stopped without finishing: the user paused or cancelled it. */
export class TransferInterrupted extends Error {
  override readonly name = 'TransferInterrupted';
  constructor(readonly reason: 'paused' | 'cancelled') {
    super(`Transfer ${reason}`);
  }
}

/**
 * One upload or download as the UI sees it, plus its controls. Pausing closes the attempt's
 * connection; resuming starts a new attempt from where the server (upload) or the received bytes
 * (download) stand.
 */
export class TransferJob {
  readonly view: TransferView;
  paused = false;
  cancelled = false;
  /** Ends the running attempt (closes its connection). */
  interrupt: (() => void) | undefined;
  private resumed: (() => void) | undefined;
  private readonly startedAtMs = Date.now();
  private startBytes = 0;

  constructor(
    view: Omit<TransferView, 'bytesDone' | 'bytesPerSec' | 'state'>,
    private readonly emit: (view: TransferView) => void,
  ) {
    this.view = { ...view, bytesDone: 0, bytesPerSec: 0, state: 'running' };
  }

  progress(bytesDone: number): void {
    if (bytesDone === this.view.bytesDone) return;
    if (this.view.bytesDone === 0) this.startBytes = bytesDone;
    this.view.bytesDone = bytesDone;
    const seconds = (Date.now() - this.startedAtMs) / 1000;
    this.view.bytesPerSec = seconds > 0 ? Math.round((bytesDone - this.startBytes) / seconds) : 0;
    this.emit({ ...this.view });
  }

  setState(state: TransferView['state'], error?: string): void {
    this.view.state = state;
    if (error !== undefined) this.view.error = error;
    this.emit({ ...this.view });
  }

  pause(): void {
    if (this.paused || this.view.state !== 'running') return;
    this.paused = true;
    this.setState('paused');
    this.interrupt?.();
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.setState('running');
    this.resumed?.();
  }

  cancel(): void {
    this.cancelled = true;
    this.interrupt?.();
    this.resumed?.();
  }

  /** Throws when cancelled; waits while paused. */
  async checkpoint(): Promise<void> {
    if (this.cancelled) throw new TransferInterrupted('cancelled');
    while (this.paused) {
      await new Promise<void>((resolve) => {
        this.resumed = resolve;
      });
      if (this.cancelled) throw new TransferInterrupted('cancelled');
    }
  }
}
