/** Something that corked its socket and wants it uncorked once the current burst of work is done. */
export interface Flushable {
  flushWrites(): void;
}

/**
 * Write coalescing for every connection of a process: the first write of a tick corks the socket,
 * and one setImmediate per tick (not one per socket) uncorks all of them, so every frame a
 * connection produced during this turn of the event loop leaves in a single writev.
 */
export class WriteScheduler {
  private dirty: Flushable[] = [];
  private scheduled = false;

  markDirty(target: Flushable): void {
    this.dirty.push(target);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flush);
    }
  }

  /** Uncorks everything now (also used at shutdown). */
  readonly flush = (): void => {
    this.scheduled = false;
    const list = this.dirty;
    this.dirty = [];
    for (const target of list) target.flushWrites();
  };
}
